import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import type { EnishiUi, SettingsPageSlot } from "@enishi/plugin-ui";
import { answerPopconfirm, choose, inConsole, optionsOf } from "@enishi/plugin-ui/testing";
import i18n from "i18next";
import register from "./index";
import { moved } from "./MarksPage";

function registered(): SettingsPageSlot[] {
  const pages: SettingsPageSlot[] = [];
  const ui = {
    version: 1,
    plugin: "response_marks",
    settingsPage: (s: SettingsPageSlot) => pages.push(s),
    friendPanel: () => undefined, // the friend's mark: friend_panel.test.tsx
    conversationFilter: () => undefined, // the inbox's filter: filter.test.tsx
    locales: (resources: Record<string, Record<string, unknown>>) => {
      for (const [lang, strings] of Object.entries(resources)) {
        i18n.addResourceBundle(lang, "response_marks", strings, true, true);
      }
    },
  } as unknown as EnishiUi;
  register(ui);
  return pages;
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

const marks = [
  { id: 1, label: "要対応", color: "#e53935", sort_order: 0, friend_count: 2 },
  { id: 2, label: "対応中", color: "#fbc02d", sort_order: 1, friend_count: 0 },
  { id: 3, label: "対応済", color: "#43a047", sort_order: 2, friend_count: 5 },
];

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the response marks module", () => {
  it("stands in for the generic page of response_marks.marks, with its title, group and order", () => {
    const [page, ...more] = registered();
    expect(more).toEqual([]);
    expect([page.key, page.title, page.group, page.order, page.permission]).toEqual([
      "response_marks.marks",
      { ja: "対応マーク", en: "Response marks" },
      "data",
      20,
      undefined,
    ]);
  });

  it("moves a mark up or down, not past either end", () => {
    expect(moved([1, 2, 3], 3, -1)).toEqual([1, 3, 2]);
    expect(moved([1, 2, 3], 1, 1)).toEqual([2, 1, 3]);
    expect(moved([1, 2, 3], 1, -1)).toEqual([1, 2, 3]);
    expect(moved([1, 2, 3], 3, 1)).toEqual([1, 2, 3]);
  });

  it("puts the new order when a mark is moved up, and the first cannot go up", async () => {
    const Page = registered()[0].component;
    const puts: [string, unknown][] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (url, init) => {
      if (init?.method === "PUT") {
        puts.push([String(url), JSON.parse(String(init.body))]);
        return json([marks[0], marks[2], marks[1]]);
      }
      return json(marks);
    });
    render(<Page workspaceId={5} permissions={["response_marks.manage"]} rest={[]} />, inConsole);
    await screen.findByText("対応済");
    expect((screen.getByRole("button", { name: "「要対応」を上へ" }) as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByRole("button", { name: "「対応済」を下へ" }) as HTMLButtonElement).disabled).toBe(true);
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "「対応済」を上へ" }));
    });
    expect(puts).toEqual([["/api/workspaces/5/response_marks/marks/order", { mark_ids: [1, 3, 2] }]]);
    const rows = document.querySelectorAll("tr[data-mark]");
    expect([...rows].map((r) => r.getAttribute("data-mark"))).toEqual(["要対応", "対応済", "対応中"]);
  });

  it("asks where the friends of a mark in use go before deleting it", async () => {
    const Page = registered()[0].component;
    const deletes: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (url, init) => {
      if (init?.method === "DELETE") {
        deletes.push(String(url));
        if (!String(url).includes("?")) {
          return json(
            {
              error: "mark_in_use",
              message: "この対応マークは使われています(友だち 2 人、メッセージ 0 件) / the mark is in use",
              errors: [{ path: "query:reassign_to", message: "required while the mark is in use" }],
            },
            409,
          );
        }
        return new Response(null, { status: 204 });
      }
      return json(marks);
    });
    render(<Page workspaceId={5} permissions={["response_marks.manage"]} rest={[]} />, inConsole);
    await screen.findByText("要対応");
    const row = document.querySelector('tr[data-mark="要対応"]') as HTMLElement;
    fireEvent.click(within(row).getByRole("button", { name: "削除" }));
    await act(async () => {
      expect(await answerPopconfirm("削除")).toBe("対応マーク「要対応」を削除しますか？");
    });
    expect(await within(row).findByText("この対応マークは使われています(友だち 2 人、メッセージ 0 件)")).toBeTruthy();
    const moveTo = within(row).getByRole("combobox", { name: "付いている友だちとメッセージの移し先" });
    expect(await optionsOf(moveTo)).toEqual(["（マークを外す）", "対応中", "対応済"]);
    await choose(moveTo, "対応済");
    await act(async () => {
      fireEvent.click(within(row).getByRole("button", { name: "移して削除" }));
    });
    await waitFor(() =>
      expect(deletes).toEqual([
        "/api/workspaces/5/response_marks/marks/1",
        "/api/workspaces/5/response_marks/marks/1?reassign_to=3",
      ]),
    );
  });

  it("only shows the marks without response_marks.manage", async () => {
    const Page = registered()[0].component;
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => json(marks));
    render(<Page workspaceId={5} permissions={[]} rest={[]} />, inConsole);
    await screen.findByText("対応済");
    expect(screen.queryByRole("form", { name: "新しい対応マーク" })).toBeNull();
    expect(screen.queryByRole("button", { name: "「対応済」を上へ" })).toBeNull();
    expect(screen.queryByRole("button", { name: "削除" })).toBeNull();
  });
});
