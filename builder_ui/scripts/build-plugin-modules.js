// Builds the console module of every plugin in this repository that has one: plugins/<package>/ui/src/index.tsx
// (or .ts, .jsx, .js) into plugins/<package>/ui/dist/module.js, with the console's node_modules and the
// @enishi/plugin-ui preset. The plugin registers that file as its UiModule. Run by `npm run build`; with
// package names as arguments (`node scripts/build-plugin-modules.js enishi_member_cards`) only those; with
// --watch, built again on every change (beside `npm run dev`, whose /ui requests go to the server).
import { existsSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "vite";
import { enishiPluginModule } from "@enishi/plugin-ui/vite";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const pluginsDir = join(repo, "plugins");
const ENTRIES = ["index.tsx", "index.ts", "index.jsx", "index.js"];

/** [package name, entry file] of each plugin with a ui/src entry. */
export function pluginModules(only = []) {
  if (!existsSync(pluginsDir)) return [];
  return readdirSync(pluginsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && (only.length === 0 || only.includes(d.name)))
    .map((d) => {
      const entry = ENTRIES.map((f) => join(pluginsDir, d.name, "ui", "src", f)).find((f) => existsSync(f));
      return entry ? [d.name, entry] : null;
    })
    .filter(Boolean)
    .sort(([a], [b]) => a.localeCompare(b));
}

const args = process.argv.slice(2);
const watch = args.includes("--watch");
const only = args.filter((a) => a !== "--watch");
const modules = pluginModules(only);
for (const [name, entry] of modules) {
  const outFile = join(dirname(dirname(entry)), "dist", "module.js");
  const config = enishiPluginModule({ entry, outFile, name });
  await build(watch ? { ...config, build: { ...config.build, watch: {} } } : config);
  console.log(`plugin module: ${relative(repo, outFile)}${watch ? " (watching)" : ""}`);
}
if (only.length && modules.length < only.length) {
  console.error(`no ui/src/index.* in: ${only.filter((n) => !modules.some(([m]) => m === n)).join(", ")}`);
  process.exit(1);
}
