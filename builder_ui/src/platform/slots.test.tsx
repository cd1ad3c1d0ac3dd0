// The console's slots drawing what plugins' UI modules registered: the friend list's columns, a report's own
// renderer, node form widgets, and the menu's sections.
import { render, screen, waitFor, within } from "@testing-library/react";
import type { WidgetProps } from "@rjsf/utils";
import type { ReactNode } from "react";
import { FriendList } from "../console/friends/FriendList";
import { ResultView } from "../console/reports/ResultView";
import { pluginSections } from "../console/sections";
import { ConfigForm } from "../forms/ConfigForm";
import type { NodeTypeDef, WorkspaceAccess } from "../types";
import type { WorkspaceCatalog } from "./catalog";
import type { RegisterUi } from "./contract";
import { UiModulesProvider, type ImportModule } from "./modules";
import { inConsole } from "../test/router";

const catalogs = vi.hoisted(() => ({ current: null as unknown }));
vi.mock("./catalog", () => ({
  useCatalog: () => catalogs.current,
  useWorkspaceCatalog: () => ({ catalog: catalogs.current, failed: false }),
}));

const loyalty: RegisterUi = (ui) => {
  ui.friendColumn({ key: "points", title: { ja: "ポイント", en: "Points" }, render: (f) => `${String(f.id)}0 pt` });
  ui.reportRenderer({
    report: "loyalty.ranks",
    component: ({ result, params, workspaceId }) => (
      <p>
        ranks of workspace {workspaceId}: {(result as { rows: unknown[] }).rows.length} rows, {String(params.period)}
      </p>
    ),
  });
  ui.nodeWidget({
    name: "stars",
    component: ({ value, onChange, label }: WidgetProps) => (
      <button type="button" onClick={() => onChange((Number(value) || 0) + 1)}>
        {label}: {"★".repeat(Number(value) || 0)}
      </button>
    ),
  });
};

const importModule: ImportModule = async () => ({ default: loyalty });

function withModules(children: ReactNode) {
  catalogs.current = {
    node_types: [],
    reports: [],
    friend_fields: [],
    lookups: [],
    resources: [],
    ui_modules: [{ plugin: "loyalty", url: "/ui/plugins/loyalty/1.js" }],
  } as unknown as WorkspaceCatalog;
  return <UiModulesProvider importModule={importModule}>{children}</UiModulesProvider>;
}

afterEach(() => vi.restoreAllMocks());

describe("slots", () => {
  it("draws a report with the renderer its plugin registered, any other report the generic way", async () => {
    const result = { chart: "table" as const, columns: [], rows: [{}, {}], series: [] };
    render(withModules(<ResultView result={result} report="loyalty.ranks" params={{ period: "month" }} workspaceId={3} />));
    expect(await screen.findByText("ranks of workspace 3: 2 rows, month")).toBeTruthy();

    render(withModules(<ResultView result={{ ...result, rows: [] }} report="tags.counts" workspaceId={3} />));
    expect(screen.getByText("該当するデータはありません。")).toBeTruthy();
  });

  it("adds a plugin's column to the friend list", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
      const url = String(input);
      let out: unknown = {};
      if (url.endsWith("/friends/tabs")) out = [];
      else if (url.endsWith("/friends/columns")) out = { default: [], available: [], sorts: ["id"] };
      else if (url.endsWith("/friends/count")) out = { count: 1 };
      else if (url.endsWith("/friends/search"))
        out = {
          items: [{ id: 4, display_name: "花子", picture_url: null, status: "following", followed_at: "2026-01-01T00:00:00+00:00", last_inbound_at: null, columns: {} }],
          next: null,
          columns: [],
        };
      else if (url.endsWith("/bulk-operations/actions")) out = [];
      return new Response(JSON.stringify(out), { status: 200 });
    });
    const access: WorkspaceAccess = {
      workspace: { id: 3, name: "店", timezone: "Asia/Tokyo" },
      role: "owner",
      permissions: [],
      enabled_plugins: ["loyalty"],
    };
    render(withModules(<FriendList access={access} />), inConsole);
    await waitFor(() => expect(screen.getByRole("columnheader", { name: "ポイント" })).toBeTruthy());
    const row = (await screen.findByText("花子")).closest("tr")!;
    expect(within(row).getByText("40 pt")).toBeTruthy();
  });

  it("gives node forms the widgets plugins registered", async () => {
    const nodeType = {
      key: "loyalty.rate",
      kind: "action",
      version: 1,
      plugin: "loyalty",
      label: { ja: "評価" },
      description: null,
      config_schema: { type: "object", properties: { stars: { type: "integer", title: "星" } } },
      ui_schema: { stars: { "ui:widget": "stars" } },
      inputs: [],
      outputs: [],
      allowed_targets: null,
      deprecated: false,
    } as unknown as NodeTypeDef;
    render(withModules(<ConfigForm nodeType={nodeType} config={{ stars: 2 }} onChange={() => undefined} />));
    // Until the module has registered it, the field has RJSF's plain widget (not a form that throws).
    expect((screen.getByLabelText("星") as HTMLInputElement).value).toBe("2");
    expect(await screen.findByRole("button", { name: /★★/ })).toBeTruthy();
  });

  it("lists a plugin's section unless its key is a built-in area's or taken", () => {
    const section = (plugin: string, key: string) => ({ plugin, slot: { key, title: { ja: key }, component: () => null } });
    expect(
      pluginSections([
        section("a", "loyalty"),
        section("b", "friends"),
        section("c", "scenarios"),
        section("d", "loyalty"),
        section("e", "Bad-Key"),
        section("f", "coupons"),
      ]).map((c) => `${c.plugin}.${c.slot.key}`),
    ).toEqual(["a.loyalty", "f.coupons"]);
  });
});
