// Builds src/index.tsx into one ES module inside the Python package, which registers it as its UiModule.
// The preset leaves React, react-i18next and @enishi/plugin-ui out: the console provides them at run time.
import { fileURLToPath } from "node:url";
import { enishiPluginModule } from "@enishi/plugin-ui/vite";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

export default enishiPluginModule({
  entry: here("./src/index.tsx"),
  outFile: here("../src/enishi_birthday/ui/dist/module.js"),
  name: "birthday",
});
