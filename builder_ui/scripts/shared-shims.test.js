// @vitest-environment node
// The shims of the console's shared modules, and the preset that builds a plugin's module against them.
import { mkdtemp, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import * as React from "react";
import { build } from "vite";
import { ANTD_EXPORTS, enishiPluginModule } from "@enishi/plugin-ui/vite";
import { exportNames, shimSource } from "./shared-shims.js";

let dir;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "enishi-shims-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
  globalThis.__ENISHI_SHARED__ = undefined;
});

describe("shared module shims", () => {
  it("name every export of a module, a CommonJS module's exports object too", () => {
    const names = exportNames(React);
    expect(names).toEqual(expect.arrayContaining(["useState", "useEffect", "createElement", "Fragment", "Component"]));
    expect(names).not.toContain("default");
    expect(exportNames({ default: { a: 1, "not-a-name": 2 }, b: 2 })).toEqual(["a", "b"]);
  });

  it("re-export the console's object, named and default", async () => {
    const file = join(dir, "react.js");
    await writeFile(file, shimSource("react", exportNames(React)));
    globalThis.__ENISHI_SHARED__ = { react: React };
    const shim = await import(/* @vite-ignore */ pathToFileURL(file).href);
    expect(shim.useState).toBe(React.useState);
    expect(shim.default).toBe(React.default ?? React);
  });

  it("say plainly that they load only inside the console", async () => {
    const file = join(dir, "react-i18next.js");
    await writeFile(file, shimSource("react-i18next", ["useTranslation"]));
    await expect(import(/* @vite-ignore */ pathToFileURL(file).href)).rejects.toThrow(/plugin modules load inside the console/);
  });
});

describe("the plugin module preset", () => {
  it("builds one ES module importing the shared libraries from /ui/shared, with its CSS and its slot API version", async () => {
    await mkdir(join(dir, "ui", "src"), { recursive: true });
    await writeFile(join(dir, "ui", "src", "panel.css"), ".loyalty-panel { color: red; }\n");
    await writeFile(
      join(dir, "ui", "src", "index.tsx"),
      [
        'import "./panel.css";',
        'import { useState } from "react";',
        'import { useTranslation } from "react-i18next";',
        'import { api } from "@enishi/plugin-ui";',
        'import { Button } from "antd";',
        "function Panel() { const [n] = useState(1); const { t } = useTranslation(); return <p className=\"loyalty-panel\">{t('x')}{n}<Button>ok</Button></p>; }",
        'export default function register(ui) { void api.get("/x"); ui.friendPanel({ key: "p", title: { ja: "p" }, component: Panel }); }',
      ].join("\n"),
    );
    const outFile = join(dir, "ui", "dist", "module.js");
    await build(enishiPluginModule({ entry: join(dir, "ui", "src", "index.tsx"), outFile, name: "loyalty", minify: false }));
    const code = await readFile(outFile, "utf8");
    expect(code).toContain('from "/ui/shared/react.js"');
    expect(code).toContain('from "/ui/shared/react-jsx-runtime.js"');
    expect(code).toContain('from "/ui/shared/react-i18next.js"');
    expect(code).toContain('from "/ui/shared/plugin-ui.js"');
    expect(code).toContain('from "/ui/shared/antd.js"');
    expect(code).not.toMatch(/from "react"|__SECRET_INTERNALS|useSyncExternalStore/);
    expect(code).toContain(".loyalty-panel");

    // Run it against shims of stand-ins, as the console would serve them.
    await mkdir(join(dir, "shared"));
    const standIns = {
      react: React,
      "react-jsx-runtime": await import("react/jsx-runtime"),
      "react-i18next": { useTranslation: () => ({ t: (k) => k }) },
      "plugin-ui": { api: { get: vi.fn(async () => ({})) } },
      antd: { Button: () => null },
    };
    for (const [name, module] of Object.entries(standIns)) {
      await writeFile(join(dir, "shared", `${name}.js`), shimSource(name, exportNames(module)));
    }
    const runnable = join(dir, "ui", "dist", "runnable.js");
    await writeFile(runnable, code.replaceAll('"/ui/shared/', `"${pathToFileURL(join(dir, "shared")).href}/`));
    globalThis.__ENISHI_SHARED__ = standIns;
    const appended = [];
    globalThis.document = { createElement: () => ({ dataset: {} }), head: { appendChild: (e) => appended.push(e) } };
    try {
      const module = await import(/* @vite-ignore */ pathToFileURL(runnable).href);
      expect(module.version).toBe(1);
      const panels = [];
      module.default({ friendPanel: (slot) => panels.push(slot) });
      expect(panels.map((p) => p.key)).toEqual(["p"]);
      expect(standIns["plugin-ui"].api.get).toHaveBeenCalledWith("/x");
      expect(appended.map((e) => [e.dataset.enishiPlugin, e.textContent.includes(".loyalty-panel")])).toEqual([["loyalty", true]]);
    } finally {
      delete globalThis.document;
    }
  }, 30_000);

  it("fails the build of a module importing from antd what the console does not share, naming it", async () => {
    const src = join(dir, "ui", "src");
    await mkdir(src, { recursive: true });
    const outFile = join(dir, "ui", "dist", "module.js");
    const attempt = async (code) => {
      await writeFile(join(src, "index.tsx"), code);
      return build(enishiPluginModule({ entry: join(src, "index.tsx"), outFile, name: "loyalty", minify: false }));
    };
    expect(ANTD_EXPORTS).toEqual(expect.arrayContaining(["Button", "Table", "Select", "Form", "Modal"]));
    await expect(
      attempt('import { Button, Watermark } from "antd";\nexport default function register() { return [Button, Watermark]; }'),
    ).rejects.toThrow(/plugin module "loyalty": it imports from "antd" Watermark, which the console does not share/);
    await expect(attempt('import * as antd from "antd";\nexport default function register() { return antd; }')).rejects.toThrow(
      /a namespace import/,
    );
    await expect(
      attempt('import Button from "antd/es/button";\nexport default function register() { return Button; }'),
    ).rejects.toThrow(/"antd\/es\/button" is a path inside antd/);
    await attempt('import { Button, Table } from "antd";\nexport default function register() { return [Button, Table]; }');
    expect(await readFile(outFile, "utf8")).toContain('import { Button, Table } from "/ui/shared/antd.js"');
  }, 30_000);
});
