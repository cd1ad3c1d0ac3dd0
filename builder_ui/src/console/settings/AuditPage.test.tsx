import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { inConsole } from "../../test/router";
import type { WorkspaceAccess } from "../../types";
import { AuditPage, auditQuery, dayStart, detailText } from "./AuditPage";

const access: WorkspaceAccess = {
  workspace: { id: 5, name: "縁カフェ", timezone: "Asia/Tokyo" },
  role: "owner",
  permissions: ["core.read_audit"],
  enabled_plugins: [],
};

const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { "Content-Type": "application/json" } });
const entry = (id: number, over: Record<string, unknown> = {}) => ({
  id,
  at: "2026-06-01T00:30:00Z",
  user_id: 1,
  api_token_id: null,
  workspace_id: 5,
  action: "tags.create_tag",
  method: "POST",
  path: "/api/workspaces/5/tags",
  status_code: 201,
  ip: null,
  target: {},
  details: { tag: "VIP", tag_id: 3 },
  ...over,
});

function fakeServer() {
  const asked: URLSearchParams[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
    const url = String(input);
    if (url.endsWith("/audit/labels"))
      return json({
        actions: [
          { action: "tags.create_tag", label: { ja: "タグ管理: 作成", en: "Tags: create" } },
          { action: "core.update_friend", label: { ja: "友だち: 変更", en: "Friends: change" } },
        ],
        people: [{ user_id: 1, display_name: "店長", email: "owner@shop.example" }],
      });
    const query = new URLSearchParams(url.split("?")[1]);
    asked.push(query);
    if (query.get("after") === "c1") return json({ items: [entry(1, { user_id: 9, status_code: 403 })], next: null });
    return json({ items: [entry(3), entry(2, { user_id: null, api_token_id: 4, action: "core.update_friend", details: {} })], next: "c1" });
  });
  return asked;
}

afterEach(() => vi.restoreAllMocks());

describe("AuditPage", () => {
  it("shows who did what in words, filters and pages", async () => {
    const asked = fakeServer();
    render(<AuditPage access={access} />, inConsole);
    const table = await screen.findByRole("table", { name: "操作履歴" });
    await within(table).findAllByText("タグ管理: 作成");
    expect(within(table).getByText("友だち: 変更")).toBeTruthy();
    expect(within(table).getAllByText("店長")).toHaveLength(1);
    expect(within(table).getByText("APIトークン")).toBeTruthy();
    expect(within(table).getByText("VIP")).toBeTruthy();
    expect(table.textContent).not.toContain("tags.create_tag");
    expect(table.textContent).toContain("2026/06/01 9:30");

    fireEvent.click(screen.getByRole("button", { name: "もっと見る" }));
    await within(table).findByText("（退職したスタッフ）");
    expect(within(table).getByText("失敗")).toBeTruthy();
    expect(asked[asked.length - 1].get("after")).toBe("c1");
    expect(screen.queryByRole("button", { name: "もっと見る" })).toBeNull();

    fireEvent.change(screen.getByLabelText("開始日"), { target: { value: "2026-06-01" } });
    await waitFor(() => expect(asked[asked.length - 1].get("since")).toBe("2026-05-31T15:00:00.000Z"));
    expect(asked[asked.length - 1].get("after")).toBeNull();
  });

  it("says at the field when the dates are backwards, and asks nothing until they are not", async () => {
    const asked = fakeServer();
    render(<AuditPage access={access} />, inConsole);
    await screen.findByRole("table", { name: "操作履歴" });
    fireEvent.change(screen.getByLabelText("開始日"), { target: { value: "2026-06-10" } });
    await waitFor(() => expect(asked[asked.length - 1].get("since")).not.toBeNull());
    const before = asked.length;
    fireEvent.change(screen.getByLabelText("終了日"), { target: { value: "2026-06-01" } });
    expect(await screen.findByText("終了日は開始日以降の日付にしてください")).toBeTruthy();
    expect(asked.length).toBe(before);
    fireEvent.change(screen.getByLabelText("終了日"), { target: { value: "2026-06-12" } });
    await waitFor(() => expect(asked[asked.length - 1].get("until")).toBe("2026-06-12T15:00:00.000Z"));
    expect(screen.queryByText("終了日は開始日以降の日付にしてください")).toBeNull();
  });
});

describe("audit helpers", () => {
  it("turns days of the workspace's zone into instants, and details into words", () => {
    expect(dayStart("2026-06-01", "Asia/Tokyo")).toBe("2026-05-31T15:00:00.000Z");
    expect(dayStart("2026-07-01", "America/New_York")).toBe("2026-07-01T04:00:00.000Z");
    const q = new URLSearchParams(auditQuery({ person: 2, action: "tags.create_tag", from: "", to: "2026-06-30" }, "Asia/Tokyo", null));
    expect([q.get("user_id"), q.get("action"), q.get("until"), q.get("since")]).toEqual(["2", "tags.create_tag", "2026-06-30T15:00:00.000Z", null]);
    expect(detailText({ tag_id: 3, tag: "VIP", fields: ["name", "color"], private: true })).toBe("VIP");
  });
});
