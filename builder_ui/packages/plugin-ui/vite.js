// A Vite preset that builds an Enishi plugin's console module: one ES module file, with the libraries the
// console shares (React, react-dom, the JSX runtime, react-i18next and @enishi/plugin-ui) left out and imported
// from the console's copies at /ui/shared/<name>.js, its CSS (if any) put into the page by the module itself,
// and `export const version` saying which slot API it was built for.
import { basename, dirname, resolve } from "node:path";

/** The slot API this preset builds for (`EnishiUi.version`). */
export const SLOT_API_VERSION = 1;

/** Each shared module and the name of the console's shim that re-exports it. */
export const SHARED_MODULES = {
  react: "react",
  "react-dom": "react-dom",
  "react/jsx-runtime": "react-jsx-runtime",
  "react-i18next": "react-i18next",
  "@enishi/plugin-ui": "plugin-ui",
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
    plugins: [moduleEntry(entryPath, entryId), inlineCss(label)],
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
