import { render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { queryClient } from "../../query";
import { inConsole } from "../../test/router";
import { AgencyPage } from "./index";

const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { "Content-Type": "application/json" } });

const plan = { id: 1, key: "pro", name_ja: "プロ", name_en: "Pro", tier: "pro", allowed_plugins: null, staff_seats: null, friends_limit: null, monthly_messages: null };

function fakeServer() {
  const asked: string[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
    const url = String(input);
    asked.push(url);
    if (url === "/api/auth/me")
      return json({ user: { id: 1, email: "a@x", display_name: "代表", is_platform_admin: false, locale: "ja" }, memberships: [{ scope: "agency", id: 4, role: "owner" }], csrf_token: "t" });
    if (url === "/api/agencies") return json([{ id: 4, name: "縁エージェンシー" }]);
    if (url === "/api/workspaces")
      return json([
        { id: 7, agency_id: 4, name: "縁カフェ", timezone: "Asia/Tokyo", plan_id: 1 },
        { id: 8, agency_id: 4, name: "縁ベーカリー", timezone: "Asia/Tokyo", plan_id: 1 },
        { id: 9, agency_id: 4, name: "縁サロン", timezone: "Asia/Tokyo", plan_id: 1 },
      ]);
    if (url === "/api/workspaces/overview")
      return json([
        { workspace_id: 7, friends: 1234, messages_this_month: 5678, quota_type: "limited", quota_limit: 15000, quota_fetched_at: "2026-06-01T00:00:00Z", held: false },
        { workspace_id: 8, friends: 3, messages_this_month: null, quota_type: null, quota_limit: null, quota_fetched_at: null, held: true },
        { workspace_id: 9, friends: 0, messages_this_month: 10, quota_type: "none", quota_limit: null, quota_fetched_at: "2026-06-01T00:00:00Z", held: false },
      ]);
    if (url === "/api/plans") return json([plan]);
    if (url === "/api/plugins") return json([]);
    if (/^\/api\/workspaces\/\d+$/.test(url)) return json({ workspace: { id: 7, name: "縁カフェ", timezone: "Asia/Tokyo" }, role: "owner", permissions: [], enabled_plugins: [] });
    return new Response("{}", { status: 404 });
  });
  return asked;
}

afterEach(() => {
  vi.restoreAllMocks();
  queryClient.clear();
});

describe("AgencyPage", () => {
  it("shows each client's friends, this month's messages and quota from the cached numbers", async () => {
    const asked = fakeServer();
    render(<AgencyPage />, inConsole);
    const table = await screen.findByRole("table", { name: "クライアントのワークスペース" });
    const row = (name: string) => within(table).getByRole("rowheader", { name }).closest("tr") as HTMLElement;
    await within(table).findByText("1,234");
    expect(within(row("縁カフェ")).getByText("5,678")).toBeTruthy();
    expect(within(row("縁カフェ")).getByText("15,000通")).toBeTruthy();
    expect(within(row("縁ベーカリー")).getAllByText("未取得")).toHaveLength(2); // messages and quota not fetched this month
    expect(within(row("縁ベーカリー")).getByText("送信停止中")).toBeTruthy();
    expect(within(row("縁サロン")).getByText("無制限")).toBeTruthy();
    expect(asked.filter((u) => u === "/api/workspaces/overview")).toHaveLength(1); // one request for every workspace
  });
});
