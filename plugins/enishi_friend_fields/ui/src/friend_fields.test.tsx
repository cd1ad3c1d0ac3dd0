import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import type { EnishiUi, SettingsPageSlot } from "@enishi/plugin-ui";
import { answerPopconfirm, inConsole } from "@enishi/plugin-ui/testing";
import i18n from "i18next";
import { byGroup, parseOptions } from "./fields";
import register from "./index";

function registered(): SettingsPageSlot[] {
  const pages: SettingsPageSlot[] = [];
  const ui = {
    version: 1,
    plugin: "friend_fields",
    settingsPage: (s: SettingsPageSlot) => pages.push(s),
    friendPanel: () => undefined, // the friend's values: friend_panel.test.tsx
    locales: (resources: Record<string, Record<string, unknown>>) => {
      for (const [lang, strings] of Object.entries(resources)) i18n.addResourceBundle(lang, "friend_fields", strings, true, true);
    },
  } as unknown as EnishiUi;
  register(ui);
  return pages;
}

const answer = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

const RANK = {
  id: 4,
  key: "rank",
  label: "会員ランク",
  label_en: "Rank",
  type: "select",
  options: ["ゴールド", "シルバー"],
  required: false,
  group: "会員情報",
  description: "",
  value_count: 2,
};

afterEach(() => vi.restoreAllMocks());

describe("the friend fields module", () => {
  it("reads choices one a line and groups fields by folder, the ungrouped first", () => {
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
  });

  it("contributes its page under the resource's key, and shows the fields by folder, read-only without friend_fields.manage", async () => {
    const pages = registered();
    expect(pages.map((p) => [p.key, p.group, p.order, p.title])).toEqual([
      ["friend_fields.fields", "data", 30, { ja: "友だち情報欄", en: "Friend fields" }],
    ]);
    const Page = pages[0].component;
    vi.spyOn(globalThis, "fetch").mockImplementation(async () =>
      answer(200, [RANK, { ...RANK, id: 5, key: "memo", label: "メモ", type: "text", options: [], group: null }]),
    );
    render(<Page workspaceId={2} permissions={[]} rest={[]} />, inConsole);
    const group = await screen.findByRole("table", { name: "会員情報" });
    expect(within(group).getByText("選択（1つ）")).toBeTruthy();
    expect(within(group).getByText("ゴールド、シルバー")).toBeTruthy();
    expect(screen.getByRole("table", { name: "フォルダなし" }).textContent).toContain("メモ");
    expect(screen.queryByRole("button", { name: "項目を追加" })).toBeNull();
    expect(screen.queryByRole("button", { name: "削除" })).toBeNull();
    expect(vi.mocked(fetch).mock.calls[0][0]).toBe("/api/workspaces/2/friend_fields/fields");
  });

  it("deletes a field friends have values in only after asking again, then with force", async () => {
    const [page] = registered();
    const Page = page.component;
    const fetched = vi.spyOn(globalThis, "fetch").mockImplementation(async (url, init) => {
      if (init?.method === "DELETE" && !String(url).includes("force=true")) {
        return answer(409, { error: "field_in_use", message: "2人の友だちに値があります。?force=true で値ごと削除します / 2 friends have a value; force=true deletes them too" });
      }
      if (init?.method === "DELETE") return new Response(null, { status: 204 });
      return answer(200, [RANK]);
    });
    render(<Page workspaceId={2} permissions={["friend_fields.manage"]} rest={[]} />, inConsole);
    const row = (await screen.findByText("rank")).closest("tr")!;
    fireEvent.click(within(row).getByRole("button", { name: "削除" }));
    await act(async () => {
      expect(await answerPopconfirm("削除")).toBe("項目「会員ランク」を削除しますか？");
    });
    const dialog = await screen.findByRole("dialog");
    expect(dialog.querySelector(".ant-modal-confirm-title")?.textContent).toBe("2人の友だちに値があります。?force=true で値ごと削除します");
    await act(async () => {
      fireEvent.click(within(dialog).getByRole("button", { name: "続ける" }));
    });
    const deletes = fetched.mock.calls.filter(([, init]) => init?.method === "DELETE").map(([url]) => String(url));
    expect(deletes).toEqual(["/api/workspaces/2/friend_fields/fields/4", "/api/workspaces/2/friend_fields/fields/4?force=true"]);
  });

  it("takes out choices friends hold only after asking, with force", async () => {
    const [page] = registered();
    const Page = page.component;
    const patched: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (url, init) => {
      if (init?.method === "PATCH") {
        patched.push(String(url));
        if (!String(url).includes("force=true")) {
          return answer(409, { error: "options_in_use", message: "「シルバー」を持つ友だちがいます / friends hold it" });
        }
        return answer(200, { ...RANK, options: ["ゴールド"] });
      }
      return answer(200, [RANK]);
    });
    render(<Page workspaceId={2} permissions={["friend_fields.manage"]} rest={[]} />, inConsole);
    const row = (await screen.findByText("rank")).closest("tr")!;
    fireEvent.click(within(row).getByRole("button", { name: "編集" }));
    const form = screen.getByRole("form", { name: "「会員ランク」を編集" });
    fireEvent.change(within(form).getByLabelText(/^選択肢/), { target: { value: "ゴールド" } });
    await act(async () => {
      fireEvent.click(within(form).getByRole("button", { name: "保存" }));
    });
    const dialog = await screen.findByRole("dialog");
    expect(dialog.querySelector(".ant-modal-confirm-title")?.textContent).toBe("「シルバー」を持つ友だちがいます");
    await act(async () => {
      fireEvent.click(within(dialog).getByRole("button", { name: "続ける" }));
    });
    await waitFor(() => expect(screen.queryByRole("form")).toBeNull());
    expect(patched).toEqual(["/api/workspaces/2/friend_fields/fields/4", "/api/workspaces/2/friend_fields/fields/4?force=true"]);
    expect(screen.queryByRole("form")).toBeNull();
  });
});
