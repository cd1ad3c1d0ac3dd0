// The workspace's default quiet hours on its settings page: shown as stored, changed with time pickers, and
// sent alone when only they changed.
import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { inConsole } from "../../test/router";
import type { WorkspaceAccess } from "../../types";
import { WorkspacePage } from "./WorkspacePage";

const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200 });
const access: WorkspaceAccess = {
  workspace: { id: 5, name: "縁カフェ", timezone: "Asia/Tokyo" },
  role: "owner",
  permissions: ["core.manage_workspace"],
  enabled_plugins: [],
};
const workspace = {
  id: 5,
  name: "縁カフェ",
  timezone: "Asia/Tokyo",
  line_channel_id: "123",
  webhook_url: "https://example.test/webhook/123",
  quiet_hours: { enabled: true, start: "22:00", end: "08:00" },
};

afterEach(() => vi.restoreAllMocks());

describe("workspace quiet hours", () => {
  it("are shown as stored, and only they are sent when only they change", async () => {
    const patches: unknown[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (_url, init) => {
      if (init?.method === "PATCH") {
        const body = JSON.parse(String(init.body));
        patches.push(body);
        return json({ ...workspace, ...body });
      }
      return json({ workspace });
    });
    render(<WorkspacePage access={access} />, inConsole);
    const group = await screen.findByRole("group", { name: "配信しない時間帯" });
    expect((within(group).getByRole("textbox", { name: "開始時刻" }) as HTMLInputElement).value).toBe("22:00");
    expect((within(group).getByRole("textbox", { name: "終了時刻" }) as HTMLInputElement).value).toBe("08:00");
    const save = screen.getByRole("button", { name: "保存" });
    expect(save).toHaveProperty("disabled", true);

    fireEvent.click(within(group).getByRole("checkbox", { name: /シナリオのメッセージを送らない時間帯/ }));
    expect(within(group).queryByRole("textbox", { name: "開始時刻" })).toBeNull();
    fireEvent.click(save);
    await waitFor(() => expect(patches).toEqual([{ quiet_hours: { enabled: false, start: "22:00", end: "08:00" } }]));
  });
});
