import { act, render, screen, waitFor } from "@testing-library/react";
import { useTranslation } from "react-i18next";
import i18n from "../i18n";
import type { WorkspaceCatalog } from "./catalog";
import type { RegisterUi } from "./contract";
import { loadUiModule, UiModuleProblems, UiModulesProvider, useContributions, useUiModules, type ImportModule } from "./modules";
import { sharedModules } from "./shared";

const catalogs = vi.hoisted(() => ({ current: null as unknown }));
vi.mock("./catalog", () => ({ useCatalog: () => catalogs.current }));

const catalogOf = (...modules: ([string, string] | [string, string, Record<string, string>])[]): WorkspaceCatalog =>
  ({
    node_types: [],
    reports: [],
    lookups: [],
    resources: [],
    ui_modules: modules.map(([plugin, url, title]) => ({ plugin, url, title })),
  }) as unknown as WorkspaceCatalog;

const loyalty: RegisterUi = (ui) => {
  ui.menuSection({ key: "loyalty", title: { ja: "ポイント", en: "Points" }, component: () => <p>loyalty page</p> });
  ui.friendPanel({ key: "points", title: { ja: "ポイント", en: "Points" }, component: ({ friendId }) => <p>points of {friendId}</p> });
  ui.friendColumn({ key: "rank", title: { ja: "ランク", en: "Rank" }, render: (f) => `rank ${String(f.id)}` });
  ui.locales({ ja: { hello: "こんにちは" }, en: { hello: "Hello" } });
};

const importerOf = (modules: Record<string, unknown>): ImportModule =>
  vi.fn(async (url: string) => {
    const m = modules[url];
    if (m === undefined) throw new TypeError(`Failed to fetch dynamically imported module: ${url}`);
    return m;
  });

function Probe() {
  const menu = useContributions("menuSection");
  const panels = useContributions("friendPanel");
  const columns = useContributions("friendColumn");
  const { ready } = useUiModules();
  return (
    <div>
      <span data-testid="ready">{String(ready)}</span>
      <ul>
        {menu.map((c) => (
          <li key={c.slot.key}>
            menu {c.plugin}.{c.slot.key}
          </li>
        ))}
      </ul>
      {panels.map(({ plugin, slot: { key, component: Panel } }) => (
        <div key={`${plugin}.${key}`}>
          <Panel workspaceId={1} permissions={[]} friendId={7} timezone="Asia/Tokyo" />
        </div>
      ))}
      {columns.map(({ slot }) => (
        <span key={slot.key}>{slot.render({ id: 3 })}</span>
      ))}
      <UiModuleProblems />
    </div>
  );
}

const renderWith = (importModule: ImportModule) =>
  render(
    <UiModulesProvider importModule={importModule}>
      <Probe />
    </UiModulesProvider>,
  );

// The shared libraries read once before the tests (antd's components among them take a while to load in Vitest):
// each test then waits only for what it looks at.
beforeAll(async () => {
  await sharedModules();
}, 30_000);

beforeEach(async () => {
  await i18n.changeLanguage("ja");
});

describe("plugins' UI modules", () => {
  it("puts the shared libraries in place, imports each module and collects what it registers", async () => {
    globalThis.__ENISHI_SHARED__ = undefined;
    let sharedSeen: unknown;
    const importModule = importerOf({});
    (importModule as ReturnType<typeof vi.fn>).mockImplementation(async () => {
      sharedSeen = globalThis.__ENISHI_SHARED__;
      return { default: loyalty, version: 1 };
    });
    catalogs.current = catalogOf(["loyalty", "/ui/plugins/loyalty/abc.js"]);
    renderWith(importModule);
    expect(await screen.findByText("menu loyalty.loyalty")).toBeTruthy();
    expect(screen.getByText("points of 7")).toBeTruthy();
    expect(screen.getByText("rank 3")).toBeTruthy();
    expect(importModule).toHaveBeenCalledWith("/ui/plugins/loyalty/abc.js");
    expect((sharedSeen as Record<string, unknown>).react).toBe((await sharedModules()).react);
    expect(Object.keys(sharedSeen as object).sort()).toEqual(
      ["antd", "plugin-ui", "react", "react-dom", "react-i18next", "react-jsx-runtime"].sort(),
    );
  });

  it("answers only the modules of the workspace being looked at", async () => {
    const importModule = importerOf({ "/a.js": { default: loyalty } });
    catalogs.current = catalogOf(["loyalty", "/a.js"]);
    const view = renderWith(importModule);
    expect(await screen.findByText("menu loyalty.loyalty")).toBeTruthy();
    // Another workspace (or the plugin switched off): a new catalog without the module.
    catalogs.current = catalogOf();
    view.rerender(
      <UiModulesProvider importModule={importModule}>
        <Probe />
      </UiModulesProvider>,
    );
    expect(screen.queryByText("menu loyalty.loyalty")).toBeNull();
    await waitFor(() => expect(screen.getByTestId("ready").textContent).toContain("true"));
    expect(screen.queryByText("menu loyalty.loyalty")).toBeNull();
    // Outside a workspace (no catalog) nothing is contributed.
    catalogs.current = null;
    view.rerender(
      <UiModulesProvider importModule={importModule}>
        <Probe />
      </UiModulesProvider>,
    );
    expect(screen.getByTestId("ready").textContent).toContain("false");
    expect(screen.queryByText(/^menu/)).toBeNull();
  });

  it("leaves out a module that does not load or throws, with a plain notice, and keeps the others", async () => {
    const broken: RegisterUi = (ui) => {
      ui.menuSection({ key: "half", title: { ja: "半分" }, component: () => null });
      throw new Error("boom");
    };
    const importModule = importerOf({ "/ok.js": { default: loyalty }, "/broken.js": { default: broken } });
    catalogs.current = catalogOf(
      ["missing", "/missing.js", { ja: "クーポン", en: "Coupons" }],
      ["broken", "/broken.js", { ja: "スタンプ" }],
      ["loyalty", "/ok.js"],
    );
    renderWith(importModule);
    expect(await screen.findByText("menu loyalty.loyalty")).toBeTruthy();
    const notice = screen.getByRole("alert");
    // Named by their titles, never by the plugin's id.
    expect(notice.textContent).toContain("プラグイン「クーポン」の画面を読み込めませんでした");
    expect(notice.textContent).toContain("プラグイン「スタンプ」の画面を読み込めませんでした");
    expect(notice.textContent).not.toContain("「missing」");
    expect(notice.textContent).toContain("boom");
    // Nothing of what the broken module registered before it threw.
    expect(screen.queryByText("menu broken.half")).toBeNull();
    await act(() => i18n.changeLanguage("en"));
    expect(screen.getByRole("alert").textContent).toContain("The screens of the plugin “Coupons” could not be loaded");
  });

  it("refuses a module built for another slot API version", async () => {
    expect(
      await loadUiModule({ plugin: "future", url: "/f.js" }, importerOf({ "/f.js": { default: loyalty, version: 2 } })),
    ).toMatchObject({ ok: false, problem: { plugin: "future", reason: "version", version: 2 } });
    expect(
      await loadUiModule({ plugin: "plain", url: "/p.js" }, importerOf({ "/p.js": { default: 42 } })),
    ).toMatchObject({ ok: false, problem: { reason: "failed" } });

    catalogs.current = catalogOf(["future", "/f2.js"]);
    renderWith(importerOf({ "/f2.js": { default: loyalty, version: 2 } }));
    expect((await screen.findByRole("alert")).textContent).toContain(
      "プラグイン「future」の画面は、このコンソールとは別の版 (2) 向けに作られているため表示しません",
    );
    expect(screen.queryByText(/^menu/)).toBeNull();
  });

  it("leaves out a module that never finishes loading", async () => {
    vi.useFakeTimers();
    try {
      const pending = loadUiModule({ plugin: "slow", url: "/slow.js" }, () => new Promise(() => undefined));
      await vi.advanceTimersByTimeAsync(20_000);
      expect(await pending).toMatchObject({ ok: false, problem: { plugin: "slow", reason: "failed", detail: "not loaded within 20 s" } });
    } finally {
      vi.useRealTimers();
    }
  });

  it("adds a module's strings under the plugin's namespace", async () => {
    await loadUiModule({ plugin: "loyalty", url: "/l.js" }, importerOf({ "/l.js": { default: loyalty } }));
    function Hello() {
      const { t } = useTranslation("loyalty");
      return <p>{t("hello")}</p>;
    }
    render(<Hello />);
    expect(screen.getByText("こんにちは")).toBeTruthy();
    await act(() => i18n.changeLanguage("en"));
    expect(screen.getByText("Hello")).toBeTruthy();
  });

  it("shows an error in place of a contributed component that throws, not a blank console", async () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const faulty: RegisterUi = (ui) => {
      ui.friendPanel({
        key: "bad",
        title: { ja: "壊れた" },
        component: () => {
          throw new Error("render failed");
        },
      });
      ui.friendColumn({
        key: "bad",
        title: { ja: "壊れた" },
        render: () => {
          throw new Error("cell failed");
        },
      });
    };
    catalogs.current = catalogOf(["faulty", "/faulty.js"]);
    renderWith(importerOf({ "/faulty.js": { default: faulty } }));
    const errors = await screen.findAllByText("プラグイン「faulty」のこの表示でエラーが起きました。");
    expect(errors).toHaveLength(2);
    expect(screen.getByTestId("ready").textContent).toContain("true");
    spy.mockRestore();
  });
});
