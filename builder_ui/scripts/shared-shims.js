// A Vite plugin of the console's build: writes dist/shared/<name>.js for every module the console shares with
// plugins' UI modules (src/platform/shared.ts). Each shim re-exports, as an ES module, the object the console
// put on globalThis.__ENISHI_SHARED__, naming every export of the real module, read here at build time by
// loading shared.ts itself: so `import { useState } from "/ui/shared/react.js"` is the console's useState.
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { createServer } from "vite";

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const RESERVED = new Set(["default", "__esModule", "then", "await", "enum", "implements", "package", "protected", "interface", "private", "public", "static", "yield", "let"]);

/** The names a shim exports: the module's own, and those of a CommonJS module's exports object. */
export function exportNames(module) {
  const names = new Set(Object.keys(module));
  const inner = module.default;
  if (inner && (typeof inner === "object" || typeof inner === "function") && module.__esModule !== true) {
    for (const key of Object.keys(inner)) names.add(key);
  }
  return [...names].filter((n) => IDENTIFIER.test(n) && !RESERVED.has(n)).sort();
}

/** The text of one shim. */
export function shimSource(name, names) {
  const key = JSON.stringify(name);
  return [
    `// Written by the Enishi console's build: the console's own "${name}", shared with plugins' UI modules.`,
    `const shared = globalThis.__ENISHI_SHARED__?.[${key}];`,
    `if (!shared) throw new Error("Enishi: the console's shared module " + ${key} + " is missing; plugin modules load inside the console");`,
    `export default shared.default ?? shared;`,
    names.length ? `export const { ${names.join(", ")} } = shared;` : "",
    "",
  ].join("\n");
}

/** Loads src/platform/shared.ts as the console has it and answers {shim name: export names}. */
async function sharedExports(root) {
  const server = await createServer({
    configFile: false,
    root,
    logLevel: "silent",
    appType: "custom",
    server: { middlewareMode: true, hmr: false, watch: null },
    optimizeDeps: { noDiscovery: true, include: [] },
    // RJSF's packages are CommonJS to Node, whose named exports Node cannot see; the console's forms (shared
    // through @enishi/plugin-ui) import them by name, so Vite reads their ES modules instead.
    ssr: { noExternal: [/^@rjsf\//] },
  });
  try {
    let SHARED;
    try {
      const { sharedModules } = await server.ssrLoadModule("/src/platform/shared.ts");
      SHARED = await sharedModules();
    } catch (error) {
      // Everything shared.ts imports runs here in Node: a module that touches the page at import time breaks it.
      throw new Error(`the shims' export names are read by loading src/platform/shared.ts in Node, which failed: ${error}`);
    }
    return Object.fromEntries(Object.entries(SHARED).map(([name, module]) => [name, exportNames(module)]));
  } finally {
    await server.close();
  }
}

export function sharedShims() {
  let root = process.cwd();
  let outDir = "dist";
  return {
    name: "enishi-shared-shims",
    apply: "build",
    configResolved(config) {
      root = config.root;
      outDir = resolve(config.root, config.build.outDir);
    },
    async closeBundle() {
      const dir = join(outDir, "shared");
      await mkdir(dir, { recursive: true });
      for (const [name, names] of Object.entries(await sharedExports(root))) {
        await writeFile(join(dir, `${name}.js`), shimSource(name, names));
      }
    },
  };
}
