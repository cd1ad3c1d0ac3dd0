import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { forgetLookups } from "../../forms/pickers";
import type { WorkspaceAccess } from "../../types";
import { FriendList } from "./FriendList";
import { inConsole } from "../../test/router";

const access: WorkspaceAccess = {
  workspace: { id: 3, name: "店", timezone: "Asia/Tokyo" },
  role: "owner",
  permissions: ["core.export_friends"],
  enabled_plugins: ["tags"],
};

const vipSegment = { all: [{ type: "tags.has_tags", config: { tag_ids: [1], match: "any" } }] };
const tab = {
  id: 9,
  name: "VIP",
  segment: vipSegment,
  exclude: null,
  status: "following",
  columns: null,
  sort: { by: "id", direction: "desc" },
  private: true,
  position: 0,
  problems: [],
};
const pinned = {
  id: "tags.tags.tag_1",
  source: "tags.tags",
  plugin: "tags",
  key: "tag_1",
  label: { ja: "VIP", en: "VIP" },
  value_schema: { type: "boolean" },
  sortable: true,
  shown_by_default: true,
};
const friend = (id: number, name: string, vip: boolean, override: string | null = null) => ({
  id,
  display_name: name,
  name_override: override,
  picture_url: null,
  status: "following",
  followed_at: "2026-01-01T00:00:00+00:00",
  last_inbound_at: null,
  columns: { [pinned.id]: vip },
});

function mockApi() {
  const searches: Record<string, unknown>[] = [];
  const counts: Record<string, unknown>[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const url = String(input);
    const body = init?.body ? (JSON.parse(String(init.body)) as Record<string, unknown>) : {};
    let out: unknown = {};
    if (url.endsWith("/friends/tabs")) out = [tab];
    else if (url.endsWith("/friends/columns")) out = { default: [pinned.id], available: [pinned], sorts: ["id", "display_name"] };
    else if (url.endsWith("/catalog")) out = { node_types: [], reports: [], friend_fields: [] };
    else if (url.endsWith("/bulk-operations/actions")) out = [];
    else if (url.endsWith("/friends/count")) {
      counts.push(body);
      out = { count: body.segment ? 2 : 3 };
    } else if (url.endsWith("/friends/search")) {
      searches.push(body);
      const columns = [pinned];
      if (body.segment) out = { items: [friend(2, "太郎", true), friend(1, "花子", true)], next: null, columns };
      else if (body.after === "c1") out = { items: [friend(1, "花子", true)], next: null, columns };
      else if (body.text === "田中") out = { items: [friend(4, "🍀jiro", false, "田中 次郎様")], next: null, columns };
      else out = { items: [friend(3, "次郎", false), friend(2, "太郎", true)], next: "c1", columns };
    }
    return new Response(JSON.stringify(out), { status: 200 });
  });
  return { searches, counts };
}

afterEach(() => {
  vi.restoreAllMocks();
  forgetLookups();
});

describe("FriendList", () => {
  it("pages with the cursor, shows pinned tag columns and the live count", async () => {
    const { searches } = mockApi();
    render(<FriendList access={access} />, inConsole);
    expect(screen.getByRole("heading", { level: 1, name: "友だち" })).toBeTruthy();
    await waitFor(() => expect(document.querySelector(".segment-count")?.textContent).toBe("3人"));
    const table = await screen.findByRole("table");
    await within(table).findByRole("link", { name: "次郎" });
    expect(within(table).getByRole("columnheader", { name: "VIP" })).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "もっと見る" }));
    await within(table).findByRole("link", { name: "花子" });
    expect(within(table).getAllByRole("link").map((a) => a.textContent)).toEqual(["次郎", "太郎", "花子"]);
    expect(searches[searches.length - 1]).toMatchObject({ after: "c1", limit: 50, status: "following" });
    expect(screen.queryByRole("button", { name: "もっと見る" })).toBeNull();
  });

  it("shows the 管理用の名前 instead of the LINE name, with the LINE name beside it", async () => {
    const { searches } = mockApi();
    render(<FriendList access={access} />, inConsole);
    const table = await screen.findByRole("table");
    await within(table).findByRole("link", { name: "次郎" });
    fireEvent.change(screen.getByRole("searchbox", { name: "検索" }), { target: { value: "田中" } });
    const row = (await within(table).findByRole("link", { name: "田中 次郎様" }, { timeout: 3000 })).closest("tr") as HTMLElement;
    expect(within(row).getByText("LINE名: 🍀jiro")).toBeTruthy();
    expect(within(row).getByRole("checkbox", { name: /田中 次郎様/ })).toBeTruthy();
    expect(searches[searches.length - 1]).toMatchObject({ text: "田中" });
  });

  it("opens a tab with its segment, and selects everyone it finds for a bulk action", async () => {
    const { searches } = mockApi();
    render(<FriendList access={access} />, inConsole);
    fireEvent.click(await screen.findByRole("tab", { name: /VIP/ }));
    await waitFor(() => expect(searches.some((s) => JSON.stringify(s.segment) === JSON.stringify(vipSegment))).toBe(true));
    const everyone = await screen.findByRole("button", { name: "条件に一致する全員(2人)を選択" });
    fireEvent.click(everyone);
    expect(await screen.findByText("条件に一致する全員(2人)に実行します")).toBeTruthy();
    // The tab is as saved: nothing to save; other status → it can be saved again.
    expect(screen.queryByRole("button", { name: "タブに上書き保存" })).toBeNull();
    fireEvent.mouseDown(screen.getByRole("combobox", { name: "状態" }));
    fireEvent.click(await screen.findByText("すべて", { selector: ".ant-select-item-option-content" }));
    expect(await screen.findByRole("button", { name: "タブに上書き保存" })).toBeTruthy();
  });

  it("selects friends with the table's named checkboxes, a page at once or one by one", async () => {
    mockApi();
    render(<FriendList access={access} />, inConsole);
    const table = await screen.findByRole("table");
    fireEvent.click(await within(table).findByRole("checkbox", { name: "太郎を選択" }));
    expect(await screen.findByText("1人を選択中")).toBeTruthy();
    expect(screen.getByText("選択した1人に実行します")).toBeTruthy();
    fireEvent.click(within(table).getByRole("checkbox", { name: "このページの友だちをすべて選択" }));
    expect(await screen.findByText("2人を選択中")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "条件に一致する全員(3人)を選択" }));
    expect(await screen.findByText("条件に一致する全員(3人)を選択中")).toBeTruthy();
    expect((within(table).getByRole("checkbox", { name: "次郎を選択" }) as HTMLInputElement).checked).toBe(true);
    expect((within(table).getByRole("checkbox", { name: "次郎を選択" }) as HTMLInputElement).disabled).toBe(true);
    fireEvent.click(screen.getByRole("button", { name: "選択を解除" }));
    expect(await screen.findByText("0人を選択中")).toBeTruthy();
  });

  it("does not offer everyone matching while a search text is typed (bulk targets are segments)", async () => {
    mockApi();
    render(<FriendList access={access} />, inConsole);
    fireEvent.change(await screen.findByLabelText("検索"), { target: { value: "花" } });
    await waitFor(() =>
      expect((screen.getByRole("button", { name: /条件に一致する全員/ }) as HTMLButtonElement).disabled).toBe(true),
    );
  });
});
