import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../../api";
import type { WorkspaceAccess } from "../../types";
import { errorsWithin, fieldKey, formErrors, unplacedErrors } from "./errors";
import { byGroup, parseOptions } from "./FieldsPage";
import { routesByFolder } from "./InflowPage";
import { moved } from "./MarksPage";
import { sampleNumber } from "./MemberCardPage";
import { pageFor, visiblePages } from "./pages";
import { PluginsPage } from "./PluginsPage";
import { assignableRoles, StaffPage } from "./StaffPage";
import { workspaceChanges } from "./WorkspacePage";
import { settingsSection } from ".";
import en from "./locales/en.json";
import ja from "./locales/ja.json";

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
    expect(unplacedErrors(ja, ["ranks"])).toEqual(["plan: not yours"]);
  });

  it("gives a network failure's text as the message", () => {
    expect(formErrors(new TypeError("Failed to fetch"), "ja")).toEqual({ message: "Failed to fetch", fields: {} });
  });
});

describe("the settings menu", () => {
  it("lists a plugin's page only while the plugin is on", () => {
    const keys = (a: WorkspaceAccess) => visiblePages(a).map((p) => p.key);
    expect(keys(access(["tags", "inflow", "assignment"]))).toEqual([
      "tags",
      "inflow",
      "pools",
      "workspace",
      "plugins",
      "staff",
      "roles",
    ]);
    expect(keys(access([]))).toEqual(["workspace", "plugins", "staff", "roles"]);
  });

  it("opens the first page listed, and says so when a named page's plugin is off", () => {
    expect(pageFor(access(["response_marks"]), [])).toMatchObject({ page: { key: "marks" }, hidden: false });
    expect(pageFor(access([]), ["tags"])).toMatchObject({ page: { key: "tags" }, hidden: true });
    expect(pageFor(access([]), ["nonsense"])).toMatchObject({ page: { key: "workspace" }, hidden: false });
  });

  it("shows the menu without the pages of switched-off plugins", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async () =>
      json({ workspace: { id: 5, name: "縁カフェ", timezone: "Asia/Tokyo", line_channel_id: "1", webhook_url: "http://x/w" } }),
    );
    const Settings = settingsSection.component;
    render(<Settings access={access(["friend_fields"])} rest={[]} />);
    const menu = screen.getByRole("navigation", { name: "設定メニュー" });
    expect(within(menu).queryByRole("link", { name: "タグ" })).toBeNull();
    expect(within(menu).getByRole("link", { name: "友だち情報欄" }).getAttribute("aria-current")).toBe("page");
    expect(within(menu).getByRole("link", { name: "プラグイン" }).getAttribute("href")).toBe("/w/5/settings/plugins");
  });
});

describe("page logic", () => {
  it("moves a mark up or down, not past either end", () => {
    expect(moved([1, 2, 3], 3, -1)).toEqual([1, 3, 2]);
    expect(moved([1, 2, 3], 1, 1)).toEqual([2, 1, 3]);
    expect(moved([1, 2, 3], 1, -1)).toEqual([1, 2, 3]);
    expect(moved([1, 2, 3], 3, 1)).toEqual([1, 2, 3]);
  });

  it("reads choices one a line and groups fields and routes by folder", () => {
    expect(parseOptions(" ゴールド \n\nシルバー\n")).toEqual(["ゴールド", "シルバー"]);
    const groups = byGroup([
      { key: "b", group: "会員情報" },
      { key: "a", group: null },
      { key: "c", group: "お店" },
    ]);
    expect(groups.map(([g, fs]) => [g, fs.map((f) => f.key)])).toEqual([
      [null, ["a"]],
      ["お店", ["c"]],
      ["会員情報", ["b"]],
    ]);
    expect(routesByFolder([{ folder: "店頭" }, { folder: "" }, { folder: "店頭" }]).map(([f, rs]) => [f, rs.length])).toEqual([
      ["", 1],
      ["店頭", 2],
    ]);
  });

  it("shows the next member number with the prefix and digits", () => {
    expect(sampleNumber("EN-", 6, 42)).toBe("EN-000042");
    expect(sampleNumber("", 4, 123456)).toBe("123456");
  });

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
    render(<StaffPage access={access([], ["core.manage_staff"])} />);
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
    render(<PluginsPage access={access(["tags"], ["core.manage_plugins"])} reloadAccess={reloadAccess} />);
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
