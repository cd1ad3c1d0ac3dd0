// A Vite preset that builds an Enishi plugin's console module: one ES module file, with the libraries the
// console shares (React, react-dom, the JSX runtime, react-i18next, @enishi/plugin-ui and Ant Design's
// components) left out and imported from the console's copies at /ui/shared/<name>.js, its CSS (if any) put into
// the page by the module itself, and `export const version` saying which slot API it was built for.
import { basename, dirname, resolve } from "node:path";
import { ANTD_EXPORTS } from "./shared-antd.js";

export { ANTD_EXPORTS };

/** The slot API this preset builds for (`EnishiUi.version`). */
export const SLOT_API_VERSION = 1;

/** Each shared module and the name of the console's shim that re-exports it. */
export const SHARED_MODULES = {
  react: "react",
  "react-dom": "react-dom",
  "react/jsx-runtime": "react-jsx-runtime",
  "react-i18next": "react-i18next",
  "@enishi/plugin-ui": "plugin-ui",
  antd: "antd",
};

/** Where the console serves the shim of a shared module. */
export const sharedUrl = (name) => `/ui/shared/${name}.js`;

/** The entry, a file that does not exist beside the plugin's own: its register function, and the slot API
 * version it was built against. */
function moduleEntry(entry, id) {
  return {
    name: "enishi-plugin-module-entry",
    resolveId: (source) => (source === id ? id : null),
    load: (source) =>
      source === id
        ? `export { default } from ${JSON.stringify(entry)};\nexport const version = ${SLOT_API_VERSION};\n`
        : null,
  };
}

/** The module's CSS goes into the page as a <style> element when the module is first imported. */
function inlineCss(name) {
  return {
    name: "enishi-plugin-module-css",
    apply: "build",
    enforce: "post",
    generateBundle(_options, bundle) {
      const css = Object.values(bundle)
        .filter((file) => file.type === "asset" && file.fileName.endsWith(".css"))
        .map((file) => {
          delete bundle[file.fileName];
          return String(file.source);
        })
        .join("\n");
      if (!css) return;
      const chunk = Object.values(bundle).find((file) => file.type === "chunk" && file.isEntry);
      const inject =
        `{const s=document.createElement("style");s.dataset.enishiPlugin=${JSON.stringify(name)};` +
        `s.textContent=${JSON.stringify(css)};document.head.appendChild(s);}\n`;
      chunk.code = inject + chunk.code;
    },
  };
}

/** A module may import from "antd" only the components the console shares (ANTD_EXPORTS), by name: the build
 * fails here, naming what is missing, rather than the module in the browser. A path inside antd ("antd/es/…")
 * would bundle a second copy, drawn without the console's theme and language, so it fails too. */
function sharedAntd(name) {
  const shared = new Set(ANTD_EXPORTS);
  const refuse = (context, what) =>
    context.error(
      `Enishi plugin module "${name}": ${what}. The console shares these Ant Design names with plugin modules, ` +
        `imported by name from "antd": ${ANTD_EXPORTS.join(", ")} (@enishi/plugin-ui/shared-antd.js).`,
    );
  return {
    name: "enishi-plugin-module-antd",
    enforce: "pre",
    resolveId(source) {
      if (/^antd\//.test(source)) refuse(this, `"${source}" is a path inside antd, which the console does not share`);
      return null;
    },
    generateBundle(_options, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== "chunk") continue;
        const imported = chunk.importedBindings?.antd ?? chunk.importedBindings?.[sharedUrl(SHARED_MODULES.antd)] ?? [];
        const missing = imported.filter((n) => !shared.has(n));
        if (missing.length) {
          const names = missing.map((n) => (n === "*" ? "* (a namespace import)" : n === "default" ? "a default import" : n));
          refuse(this, `it imports from "antd" ${names.join(", ")}, which the console does not share`);
        }
      }
    },
  };
}

/**
 * The Vite config that builds `entry` (a file whose default export is `register(ui)`) into `outFile`.
 * Use it as a plugin's vite.config (`export default enishiPluginModule({...})`) or pass it to vite's `build()`.
 */
export function enishiPluginModule({ entry, outFile, name, minify = true }) {
  const entryPath = resolve(entry);
  const outPath = resolve(outFile);
  const label = name ?? basename(dirname(dirname(outPath)));
  const entryId = resolve(dirname(entryPath), "__enishi_module_entry__.js");
  return {
    configFile: false,
    root: dirname(entryPath),
    logLevel: "warn",
    plugins: [moduleEntry(entryPath, entryId), sharedAntd(label), inlineCss(label)],
    // The automatic JSX runtime (react/jsx-runtime, one of the shared modules), whatever tsconfig is near.
    esbuild: { jsx: "automatic", jsxImportSource: "react", jsxDev: false },
    define: { "process.env.NODE_ENV": JSON.stringify("production") },
    build: {
      outDir: dirname(outPath),
      emptyOutDir: false,
      copyPublicDir: false,
      minify,
      sourcemap: false,
      target: "es2021",
      cssCodeSplit: false,
      lib: { entry: entryId, formats: ["es"], fileName: () => basename(outPath) },
      rollupOptions: {
        external: Object.keys(SHARED_MODULES),
        output: {
          paths: Object.fromEntries(Object.entries(SHARED_MODULES).map(([id, shim]) => [id, sharedUrl(shim)])),
          inlineDynamicImports: true,
        },
      },
    },
  };
}
