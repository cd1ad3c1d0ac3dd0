import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import type { EnishiUi, SettingsPageSlot } from "@enishi/plugin-ui";
import { answerPopconfirm, chosen, inConsole } from "@enishi/plugin-ui/testing";
import i18n from "i18next";
import register from "./index";

function registered(): SettingsPageSlot[] {
  const pages: SettingsPageSlot[] = [];
  const ui = {
    version: 1,
    plugin: "tags",
    settingsPage: (s: SettingsPageSlot) => pages.push(s),
    friendPanel: () => undefined, // the friend's tags: friend_panel.test.tsx
    locales: (resources: Record<string, Record<string, unknown>>) => {
      for (const [lang, strings] of Object.entries(resources)) i18n.addResourceBundle(lang, "tags", strings, true, true);
    },
  } as unknown as EnishiUi;
  register(ui);
  return pages;
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

const vip = { id: 7, name: "VIP", color: "#06c755", folder_id: null, description: "", pinned: false, friend_count: 3 };
const folder = { id: 2, name: "来店状況", sort_order: 0, tag_count: 1 };
const regular = { ...vip, id: 8, name: "常連", folder_id: 2, friend_count: 1 };

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the tags module", () => {
  it("stands in for the generic page of tags.tags, with its title, group and order", () => {
    const [page, ...more] = registered();
    expect(more).toEqual([]);
    expect([page.key, page.title, page.group, page.order, page.permission]).toEqual([
      "tags.tags",
      { ja: "タグ", en: "Tags" },
      "data",
      10,
      undefined,
    ]);
  });

  it("lists a folder's tags and pins a tag as a friend-list column", async () => {
    const Page = registered()[0].component;
    const patches: [string, unknown][] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (url, init) => {
      if (init?.method === "PATCH") {
        patches.push([String(url), JSON.parse(String(init.body))]);
        return json({ ...vip, pinned: true });
      }
      return json(String(url).endsWith("/folders") ? [folder] : [vip, regular]);
    });
    render(<Page workspaceId={5} permissions={["tags.manage"]} rest={[]} />, inConsole);
    await screen.findByText("VIP");
    fireEvent.click(screen.getByRole("button", { name: /^来店状況/ }));
    await waitFor(() => expect(screen.queryByText("VIP")).toBeNull());
    expect(screen.getByText("常連")).toBeTruthy();
    // A tag made now goes into the open folder.
    const newTag = screen.getByRole("form", { name: "新しいタグ" });
    expect(chosen(within(newTag).getByRole("combobox", { name: "フォルダ" }))).toBe("来店状況");
    await act(async () => {
      fireEvent.click(screen.getByLabelText("「常連」を友だち一覧の列に表示"));
    });
    expect(patches).toEqual([["/api/workspaces/5/tags/8", { pinned: true }]]);
  });

  it("only shows the tags without tags.manage", async () => {
    const Page = registered()[0].component;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (url) => json(String(url).endsWith("/folders") ? [folder] : [vip]));
    render(<Page workspaceId={5} permissions={[]} rest={[]} />, inConsole);
    await screen.findByText("VIP");
    expect(screen.queryByRole("form", { name: "新しいタグ" })).toBeNull();
    expect(screen.queryByRole("button", { name: "削除" })).toBeNull();
    expect((screen.getByLabelText("「VIP」を友だち一覧の列に表示") as HTMLInputElement).disabled).toBe(true);
  });
});

describe("deleting a tag", () => {
  it("names the running scenarios that use it and deletes only once the user insists", async () => {
    const Page = registered()[0].component;
    const deletes: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (url, init) => {
      if (init?.method === "DELETE") {
        deletes.push(String(url));
        if (!String(url).includes("force=true")) {
          return json(
            {
              error: "in_use",
              message: "配信中のシナリオで使われています / running scenarios use this tag",
              errors: [{ path: "$", scenario_id: "4", message: "シナリオ「VIPにする」で使われています / used by the scenario VIPにする" }],
            },
            409,
          );
        }
        return new Response(null, { status: 204 });
      }
      return json(String(url).endsWith("/folders") ? [] : [vip]);
    });
    render(<Page workspaceId={5} permissions={["tags.manage"]} rest={[]} />, inConsole);
    await screen.findByText("VIP");
    fireEvent.click(screen.getByRole("button", { name: "削除" }));
    await act(async () => {
      expect(await answerPopconfirm("削除")).toBe("タグ「VIP」を削除しますか？ 3人の友だちから外れます。");
    });
    // The server names the running scenario; asked once more, in a dialog.
    const dialog = await screen.findByRole("dialog");
    expect(dialog.textContent).toContain("シナリオ「VIPにする」で使われています");
    expect(deletes).toEqual(["/api/workspaces/5/tags/7"]);
    await act(async () => {
      fireEvent.click(within(dialog).getByRole("button", { name: "削除" }));
    });
    await waitFor(() => expect(deletes).toEqual(["/api/workspaces/5/tags/7", "/api/workspaces/5/tags/7?force=true"]));
  });
});
