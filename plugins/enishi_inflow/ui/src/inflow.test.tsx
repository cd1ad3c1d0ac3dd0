import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { forgetLookups, type CatalogLookup, type EnishiUi, type NodeTypeDef, type SettingsPageSlot } from "@enishi/plugin-ui";
import { choose, inConsole, optionsOf } from "@enishi/plugin-ui/testing";
import i18n from "i18next";
import register from "./index";
import { routesByFolder } from "./routes";

function registered(): SettingsPageSlot[] {
  const pages: SettingsPageSlot[] = [];
  const ui = {
    version: 1,
    plugin: "inflow",
    settingsPage: (s: SettingsPageSlot) => pages.push(s),
    locales: (resources: Record<string, Record<string, unknown>>) => {
      for (const [lang, strings] of Object.entries(resources)) i18n.addResourceBundle(lang, "inflow", strings, true, true);
    },
  } as unknown as EnishiUi;
  register(ui);
  return pages;
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

/** A node type as the catalog lists it. */
function nodeType(key: string, kind: NodeTypeDef["kind"], label: string, config_schema: Record<string, unknown>): NodeTypeDef {
  return {
    key,
    kind,
    version: 1,
    plugin: key.split(".")[0],
    label: { ja: label, en: key },
    description: null,
    config_schema,
    ui_schema: {},
    inputs: [],
    outputs: [],
    allowed_targets: null,
    deprecated: false,
  };
}

const NODE_TYPES = [
  nodeType("core.friend_followed", "trigger", "友だち追加されたとき", { type: "object", properties: {} }),
  nodeType("tags.add_tag", "action", "タグを付ける", {
    type: "object",
    properties: { tag_ids: { type: "array", title: "タグ / Tags", items: { type: "integer" } } },
    required: ["tag_ids"],
  }),
];

const TAGS_LOOKUP: CatalogLookup = {
  name: "tags.tags",
  plugin: "tags",
  path: "/tags",
  paged: false,
  value_field: "id",
  label_field: "name",
  hint_field: null,
  color_field: "color",
  properties: { tag_id: "integer", tag_ids: "integer" },
  widgets: [],
};

const ROUTE = {
  id: 6,
  name: "店頭POP",
  folder: "店頭",
  mode: "first_time",
  actions: [{ type: "tags.add_tag", type_version: 1, config: { tag_ids: [8] } }],
  enabled: true,
  url: "https://shop.example/p/inflow/r/abc",
  visits: 12,
  new_friends: 3,
};

afterEach(() => {
  vi.restoreAllMocks();
  forgetLookups();
});

describe("the inflow module", () => {
  it("groups routes by folder, the routes without one first", () => {
    expect(routesByFolder([{ folder: "店頭" }, { folder: "" }, { folder: "店頭" }]).map(([f, rs]) => [f, rs.length])).toEqual([
      ["", 1],
      ["店頭", 2],
    ]);
  });

  it("contributes its page under the resource's key; each route's URL to copy and its QR codes, read-only without inflow.manage", async () => {
    const pages = registered();
    expect(pages.map((p) => [p.key, p.group, p.order, p.title])).toEqual([
      ["inflow.routes", "data", 50, { ja: "流入経路", en: "Inflow routes" }],
    ]);
    const Page = pages[0].component;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (url) =>
      String(url).endsWith("/catalog") ? json({ node_types: NODE_TYPES, lookups: [] }) : json([ROUTE]),
    );
    render(<Page workspaceId={3} permissions={[]} rest={[]} />, inConsole);
    const row = (await screen.findByRole("table", { name: "店頭" })).querySelector('tr[data-route="店頭POP"]') as HTMLElement;
    expect(row.textContent).toContain("初回のみ");
    expect(row.textContent).toContain("アクション1件");
    expect((within(row).getByLabelText("「店頭POP」のURL") as HTMLInputElement).value).toBe(ROUTE.url);
    expect(within(row).getByRole("link", { name: "QR (PNG)" }).getAttribute("href")).toBe("/api/workspaces/3/inflow/routes/6/qr.png");
    expect(within(row).getByRole("link", { name: "QR (SVG)" }).getAttribute("href")).toBe("/api/workspaces/3/inflow/routes/6/qr.svg");
    expect(within(row).queryByRole("button", { name: "編集" })).toBeNull();
    expect(screen.queryByRole("button", { name: "経路を追加" })).toBeNull();

    const writeText = vi.fn(async () => undefined);
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    await act(async () => {
      fireEvent.click(within(row).getByRole("button", { name: "コピー" }));
    });
    expect(writeText).toHaveBeenCalledWith(ROUTE.url);
    expect(within(row).getByRole("button", { name: "コピーしました" })).toBeTruthy();
  });

  it("configures an action on entry through its generated form and shows the server's problem in it", async () => {
    const [page] = registered();
    const Page = page.component;
    const posted: unknown[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (url, init) => {
      const path = String(url);
      if (init?.method === "POST") {
        posted.push(JSON.parse(String(init.body)));
        return json(
          {
            error: "invalid",
            message: "入力内容に誤りがあります / invalid input",
            errors: [{ path: "$.actions[0].config.tag_ids[0]", message: "タグ 8 は存在しません(削除済み?) / tag 8 does not exist" }],
          },
          422,
        );
      }
      if (path.endsWith("/catalog")) return json({ node_types: NODE_TYPES, reports: [], friend_fields: [], lookups: [TAGS_LOOKUP] });
      if (path.endsWith("/tags")) return json([{ id: 8, name: "店頭から", color: "#00ff00" }]);
      return json([]);
    });
    render(<Page workspaceId={3} permissions={["inflow.manage"]} rest={[]} />, inConsole);
    fireEvent.click(await screen.findByRole("button", { name: "経路を追加" }));
    const form = screen.getByRole("form", { name: "経路を追加" });
    fireEvent.change(within(form).getByLabelText("経路名"), { target: { value: "店頭POP" } });
    fireEvent.click(within(form).getByLabelText("初回のみ"));
    // Only action node types are offered.
    const actionType = within(form).getByRole("combobox", { name: "追加するアクション" });
    expect(await optionsOf(actionType)).not.toContain("友だち追加されたとき");
    await choose(actionType, "タグを付ける");
    fireEvent.click(within(form).getByRole("button", { name: "アクションを追加" }));
    const action = within(form).getByRole("group", { name: "タグを付ける" });
    fireEvent.click(await within(action).findByLabelText("店頭から"));
    fireEvent.click(within(form).getByRole("button", { name: "経路を作成" }));

    await waitFor(() => expect(within(action).getByText("タグ 8 は存在しません(削除済み?)")).toBeTruthy());
    expect(posted).toEqual([
      {
        name: "店頭POP",
        folder: "",
        mode: "first_time",
        enabled: true,
        actions: [{ type: "tags.add_tag", type_version: 1, config: { tag_ids: [8] } }],
      },
    ]);
  });
});
