// The Ant Design names the console shares with plugins' modules are the ones the preset lets them import.
import { ANTD_EXPORTS } from "@enishi/plugin-ui/vite";
import * as kit from "./antd-kit";

it("shares with plugins' modules exactly the antd names the preset allows", () => {
  expect(Object.keys(kit).sort()).toEqual([...ANTD_EXPORTS].sort());
  for (const name of ANTD_EXPORTS) expect(kit[name as keyof typeof kit], name).toBeTruthy();
});
