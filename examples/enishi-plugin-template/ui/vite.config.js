// Builds src/index.tsx into one ES module inside the Python package, which registers it as its UiModule.
// The preset leaves React, react-i18next, @enishi/plugin-ui and antd out: the console provides them at run time
// (and fails the build if the module imports an antd name the console does not share).
import { fileURLToPath } from "node:url";
import { enishiPluginModule } from "@enishi/plugin-ui/vite";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

export default enishiPluginModule({
  entry: here("./src/index.tsx"),
  outFile: here("../src/enishi_birthday/ui/dist/module.js"),
  name: "birthday",
});
