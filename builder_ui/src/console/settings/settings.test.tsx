import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../../api";
import type { WorkspaceAccess } from "../../types";
import { errorsWithin, fieldKey, formErrors, unplacedErrors } from "./errors";
import { pageFor, pagePath, settingsPages } from "./pages";
import { CatalogProvider } from "../../platform/catalog";
import type { CatalogResource, Contribution, SettingsPageSlot } from "../../platform/contract";
import { PluginsPage } from "./PluginsPage";
import { assignableRoles, StaffPage } from "./StaffPage";
import { workspaceChanges } from "./WorkspacePage";
import SettingsSection from ".";
import en from "./locales/en.json";
import ja from "./locales/ja.json";
import { inConsole } from "../../test/router";

/** Every key path of a nested strings object. */
const keyPaths = (o: object, prefix = ""): string[] =>
  Object.entries(o).flatMap(([k, v]) => (v && typeof v === "object" ? keyPaths(v, `${prefix}${k}.`) : [`${prefix}${k}`]));

const access = (enabled: string[], permissions: string[] = [], role = "owner"): WorkspaceAccess => ({
  workspace: { id: 5, name: "縁カフェ", timezone: "Asia/Tokyo" },
  role,
  permissions,
  enabled_plugins: enabled,
});

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

afterEach(() => {
  vi.restoreAllMocks();
});

describe("locales", () => {
  it("has every Japanese string in English too", () => {
    expect(keyPaths(en).sort()).toEqual(keyPaths(ja).sort());
  });
});

describe("server errors by field", () => {
  it("turns the server's paths into field keys", () => {
    expect(fieldKey("$.name")).toBe("name");
    expect(fieldKey("$.ranks[1].threshold")).toBe("ranks.1.threshold");
    expect(fieldKey("$.actions[0].config.tag_ids[2]")).toBe("actions.0.config.tag_ids.2");
    expect(fieldKey("query:reassign_to")).toBe("reassign_to");
    expect(fieldKey("$")).toBe("");
    expect(fieldKey(undefined)).toBe("");
  });

  it("keeps each message with its field, in the UI's language", () => {
    const error = new ApiError(422, "invalid", "入力内容に誤りがあります / invalid input", [
      { path: "$.ranks[0].name", message: "同じ名前のランクがあります / duplicate" },
      { path: "$.ranks[10].name", message: "x" },
      { path: "$.plan", message: "not yours" },
    ]);
    const ja = formErrors(error, "ja");
    expect(ja.message).toBe("入力内容に誤りがあります");
    expect(ja.fields["ranks.0.name"]).toEqual(["同じ名前のランクがあります"]);
    expect(formErrors(error, "en").fields["ranks.0.name"]).toEqual(["duplicate"]);
    // A field takes the messages of what is inside it, and not those of a field whose key only starts alike.
    expect(errorsWithin(ja, "ranks.1")).toEqual([]);
    expect(errorsWithin(ja, "ranks.0")).toEqual(["同じ名前のランクがあります"]);
    expect(errorsWithin(ja, "ranks")).toHaveLength(2);
    // Messages of fields the form does not show are listed with where they are in words, never the field's key.
    expect(unplacedErrors(ja, ["ranks"])).toEqual(["not yours"]);
    expect(unplacedErrors(ja, [])).toEqual([
      "ランク 1件目 › 名前: 同じ名前のランクがあります",
      "ランク 11件目 › 名前: x",
      "not yours",
    ]);
  });

  it("gives a network failure's text as the message", () => {
    expect(formErrors(new TypeError("Failed to fetch"), "ja")).toEqual({ message: "Failed to fetch", fields: {} });
  });
});

const resource = (name: string, ja: string, order: number, group: "data" | "workspace" = "data"): CatalogResource => ({
  name,
  plugin: name.split(".")[0],
  title: { ja, en: name },
  description: null,
  group,
  order,
  path: `/${name.replace(".", "/")}`,
  item_path: `/${name.replace(".", "/")}/{id}`,
  paged: false,
  id_field: "id",
  label_field: "name",
  columns: [{ field: "name", title: { ja: "名前", en: "Name" }, format: "text", lookup: null }],
  schema: { type: "object", properties: { name: { type: "string", title: "名前 / Name" } } },
  ui_schema: {},
  create: true,
  update: "patch",
  delete: true,
  permission: null,
});

const coded = (key: string, ja: string, extra: Partial<SettingsPageSlot> = {}): Contribution<SettingsPageSlot> => ({
  plugin: "probe",
  slot: { key, title: { ja, en: key }, group: "data", component: () => <p>{ja}のページ</p>, ...extra },
});

describe("the settings menu", () => {
  const resources = [resource("probe.pools", "振り分け", 40), resource("probe.tags", "タグ", 10), resource("probe.hooks", "連携", 5, "workspace")];

  it("lists the catalog's resources by order, the console's own pages, then plugins' workspace pages", () => {
    const keys = settingsPages(resources, [], []).map((p) => p.key);
    expect(keys).toEqual(["probe.tags", "probe.pools", "workspace", "plugins", "staff", "roles", "probe.hooks"]);
    expect(settingsPages([], [], []).map((p) => p.key)).toEqual(["workspace", "plugins", "staff", "roles"]);
  });

  it("adds coded pages, lets one stand in for a resource of the same key, and keeps those a role may not see out", () => {
    const pages = settingsPages(
      resources,
      [coded("probe.pools", "振り分け（独自）", { order: 40 }), coded("card", "会員証", { order: 20 }), coded("secret", "秘密", { permission: "probe.admin" })],
      [],
    );
    expect(pages.map((p) => p.key)).toEqual(["probe.tags", "card", "probe.pools", "workspace", "plugins", "staff", "roles", "probe.hooks"]);
    expect(pages.find((p) => p.key === "probe.pools")!.contribution?.slot.title.ja).toBe("振り分け（独自）");
    expect(settingsPages([], [coded("secret", "秘密", { permission: "probe.admin" })], ["probe.admin"]).map((p) => p.key)).toContain("secret");
  });

  it("opens the first page listed, waits for the catalog and modules, and says so when a named page's plugin is off", () => {
    const pages = settingsPages(resources, [], []);
    const read = { catalog: true, modules: true };
    const catalogOnly = { catalog: true, modules: false };
    const nothing = { catalog: false, modules: false };
    expect(pageFor(pages, [], read)).toMatchObject({ state: "page", page: { key: "probe.tags" } });
    expect(pageFor(pages, ["staff"], nothing)).toMatchObject({ state: "page", page: { key: "staff" } });
    // A resource's path is its name with the dot as a slash (the name whole works too); what follows is the page's.
    expect(pagePath("probe.pools")).toEqual(["probe", "pools"]);
    expect(pageFor(pages, ["probe", "pools", "3"], read)).toMatchObject({ state: "page", page: { key: "probe.pools" }, rest: ["3"] });
    expect(pageFor(pages, ["probe.pools"], read)).toMatchObject({ state: "page", page: { key: "probe.pools" }, rest: [] });
    // A coded page named as a plugin does not take the paths of that plugin's resources (the longest key wins).
    const withProbe = settingsPages(resources, [coded("probe", "テスト用")], []);
    expect(pageFor(withProbe, ["probe", "pools"], read)).toMatchObject({ state: "page", page: { key: "probe.pools" }, rest: [] });
    expect(pageFor(withProbe, ["probe", "other"], read)).toMatchObject({ state: "page", page: { key: "probe" }, rest: ["other"] });
    expect(pageFor(pages, [], nothing)).toEqual({ state: "loading" });
    expect(pageFor(pages, ["tags", "tags"], nothing)).toEqual({ state: "loading" });
    expect(pageFor(pages, ["tags", "tags"], read)).toEqual({ state: "hidden" });
    // A coded page may still come with a module: the named page waits for them, the first page does not.
    expect(pageFor(pages, ["member_card"], catalogOnly)).toEqual({ state: "loading" });
    expect(pageFor(pages, [], catalogOnly)).toMatchObject({ state: "page", page: { key: "probe.tags" } });
    // A resource whose plugin has a module waits for it (its coded page would replace the generic one), named or first.
    const coming = { ...catalogOnly, withModules: ["probe"] };
    expect(pageFor(pages, ["probe", "pools"], coming)).toEqual({ state: "loading" });
    expect(pageFor(pages, [], coming)).toEqual({ state: "loading" });
    expect(pageFor(pages, ["staff"], coming)).toMatchObject({ state: "page", page: { key: "staff" } });
    expect(pageFor(pages, ["probe", "pools"], { ...read, withModules: ["probe"] })).toMatchObject({ state: "page" });
  });

  it("shows the menu from the catalog, a resource's page by its deep link, and the off state for a plugin's page", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async (url) =>
      String(url).endsWith("/catalog")
        ? json({ node_types: [], reports: [], friend_fields: [], lookups: [], resources, ui_modules: [] })
        : json([{ id: 1, name: "受付チーム" }]),
    );
    const Settings = SettingsSection;
    const view = render(
      <CatalogProvider workspaceId={5}>
        <Settings access={access([], [])} rest={["probe", "pools"]} />
      </CatalogProvider>,
      inConsole,
    );
    const menu = screen.getByRole("navigation", { name: "設定メニュー" });
    expect(within(menu).getByRole("link", { name: "プラグイン" }).getAttribute("href")).toBe("/w/5/settings/plugins");
    const pools = await within(menu).findByRole("link", { name: "振り分け" });
    expect(pools.getAttribute("aria-current")).toBe("page");
    expect(pools.getAttribute("href")).toBe("/w/5/settings/probe/pools");
    expect(await screen.findByRole("heading", { name: "振り分け" })).toBeTruthy();
    expect(within(await screen.findByRole("table", { name: "振り分け" })).getByText("受付チーム")).toBeTruthy();
    view.rerender(
      <CatalogProvider workspaceId={5}>
        <Settings access={access([], [])} rest={["tags", "tags"]} />
      </CatalogProvider>,
    );
    expect(await screen.findByText("このページのプラグインはこのワークスペースでオフになっています。")).toBeTruthy();
    expect(within(menu).queryByRole("link", { name: "タグ", current: "page" })).toBeNull();
  });
});

describe("page logic", () => {
  it("sends only what changed, and secrets only when typed", () => {
    const before = { name: "縁カフェ", timezone: "Asia/Tokyo", line_channel_id: "123" };
    const form = { name: "縁カフェ", timezone: "Asia/Tokyo", channel_id: "123", channel_secret: "", access_token: "" };
    expect(workspaceChanges(before, form)).toEqual({});
    expect(workspaceChanges(before, { ...form, timezone: "UTC", access_token: "tok" })).toEqual({
      timezone: "UTC",
      access_token: "tok",
    });
  });

  it("sets, keeps and removes the LINE Login channel", () => {
    const form = { name: "縁カフェ", timezone: "Asia/Tokyo", channel_id: "123", channel_secret: "", access_token: "" };
    const none = { name: "縁カフェ", timezone: "Asia/Tokyo", line_channel_id: "123", line_login_channel_id: null };
    expect(workspaceChanges(none, { ...form, login_channel_id: "", login_channel_secret: "" })).toEqual({});
    expect(workspaceChanges(none, { ...form, login_channel_id: " 2000000002 ", login_channel_secret: "ab" })).toEqual({
      login_channel_id: "2000000002",
      login_channel_secret: "ab",
    });
    const set = { ...none, line_login_channel_id: "2000000002" };
    expect(workspaceChanges(set, { ...form, login_channel_id: "2000000002", login_channel_secret: "" })).toEqual({});
    expect(workspaceChanges(set, { ...form, login_channel_id: "", login_channel_secret: "" })).toEqual({
      login_channel_id: null,
    });
  });

  it("offers the roles one may hand out", () => {
    expect(assignableRoles("owner")).toEqual(["owner", "admin", "operator", "viewer"]);
    expect(assignableRoles("admin")).toEqual(["admin", "operator", "viewer"]);
    expect(assignableRoles("viewer")).toEqual(["viewer"]);
  });
});

describe("pages against the API", () => {
  it("shows the server's complaint next to the staff form's field", async () => {
    const fetchMock = vi.spyOn(globalThis, "fetch").mockImplementation(async (_url, init) => {
      if (init?.method === "POST") {
        return json(
          {
            error: "invalid",
            message: "入力内容に誤りがあります / invalid input",
            errors: [{ path: "$.password", message: "新しいアカウントにはパスワードが必要です / a new account needs a password" }],
          },
          422,
        );
      }
      return json([{ id: 1, user_id: 1, email: "owner@shop.example", display_name: "店長", role: "owner" }]);
    });
    render(<StaffPage access={access([], ["core.manage_staff"])} />, inConsole);
    const form = await screen.findByRole("form", { name: "スタッフを追加" });
    fireEvent.change(within(form).getByLabelText("メールアドレス"), { target: { value: "new@shop.example" } });
    fireEvent.click(within(form).getByRole("button", { name: "スタッフを追加" }));
    const password = within(form).getByLabelText("初期パスワード").closest("[data-field]") as HTMLElement;
    await waitFor(() => expect(within(password).getByRole("alert").textContent).toBe("新しいアカウントにはパスワードが必要です"));
    expect(within(form).getByLabelText("メールアドレス").closest("[data-field]")?.querySelector(".field-error")).toBeNull();
    const [, init] = fetchMock.mock.calls.find(([, i]) => i?.method === "POST")!;
    expect(JSON.parse(String(init?.body))).toEqual({ email: "new@shop.example", role: "operator", display_name: null, password: null });
  });

  it("shows why the plan keeps a plugin off, and reads the access again after a switch", async () => {
    const plugins = [
      { name: "tags", title: { ja: "タグ管理", en: "Tags" }, tier: "start", enabled: true, allowed_by_plan: true, reason: null, settings: {}, settings_schema: {} },
      {
        name: "inflow",
        title: { ja: "流入経路", en: "Inflow" },
        tier: "pro",
        enabled: false,
        allowed_by_plan: false,
        reason: "プラン「スタート」に含まれていません / not in the plan 'Start'",
        settings: {},
        settings_schema: {},
      },
    ];
    const fetchMock = vi.spyOn(globalThis, "fetch").mockImplementation(async (_url, init) =>
      init?.method === "PUT" ? json({ ...plugins[0], enabled: false, reason: "off" }) : json(plugins),
    );
    const reloadAccess = vi.fn();
    render(<PluginsPage access={access(["tags"], ["core.manage_plugins"])} reloadAccess={reloadAccess} />, inConsole);
    const inflow = await screen.findByRole("listitem", { name: "流入経路" });
    expect(within(inflow).getByRole("switch")).toHaveProperty("disabled", true);
    expect(inflow.textContent).toContain("現在のプランでは使えません: プラン「スタート」に含まれていません");
    fireEvent.click(within(screen.getByRole("listitem", { name: "タグ管理" })).getByRole("switch"));
    await waitFor(() => expect(reloadAccess).toHaveBeenCalled());
    const put = fetchMock.mock.calls.find(([, i]) => i?.method === "PUT")!;
    expect(put[0]).toBe("/api/workspaces/5/plugins/tags");
    expect(JSON.parse(String(put[1]?.body))).toEqual({ enabled: false });
  });
});
