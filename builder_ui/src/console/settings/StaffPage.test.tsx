import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { WorkspaceAccess } from "../../types";
import { StaffPage } from "./StaffPage";
import { inConsole } from "../../test/router";

const access: WorkspaceAccess = {
  workspace: { id: 5, name: "縁カフェ", timezone: "Asia/Tokyo" },
  role: "owner",
  permissions: ["core.manage_staff"],
  enabled_plugins: [],
};

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

afterEach(() => {
  vi.restoreAllMocks();
});

describe("staff invitations", () => {
  it("invites instead of adding, and lists the invitations awaiting an answer until revoked", async () => {
    let pending = [{ id: 7, email: "hanako@shop.example", role: "admin", status: "pending", expires_at: "2030-01-15T00:00:00Z" }];
    const staff = [{ id: 1, user_id: 1, email: "owner@shop.example", display_name: "店長", role: "owner" }];
    vi.spyOn(window, "confirm").mockReturnValue(true);
    const fetchMock = vi.spyOn(globalThis, "fetch").mockImplementation(async (url, init) => {
      const path = String(url);
      if (init?.method === "POST") {
        pending = [...pending, { id: 8, email: "jiro@shop.example", role: "operator", status: "pending", expires_at: "2030-01-16T00:00:00Z" }];
        return json(pending[1], 201);
      }
      if (init?.method === "DELETE") {
        pending = pending.filter((i) => !path.endsWith(`/invitations/${i.id}`));
        return new Response(null, { status: 204 });
      }
      return json(path.endsWith("/staff/invitations") ? pending : staff);
    });
    render(<StaffPage access={access} />, inConsole);
    const invitations = await screen.findByRole("table", { name: "承諾待ちの招待" });
    expect(within(invitations).getByText("hanako@shop.example")).toBeTruthy();
    // The invited person is not in the staff list: they have not said yes.
    expect(within(screen.getByRole("table", { name: "スタッフ" })).queryByText("hanako@shop.example")).toBeNull();

    const form = screen.getByRole("form", { name: "スタッフを追加" });
    fireEvent.change(within(form).getByLabelText("メールアドレス"), { target: { value: "jiro@shop.example" } });
    fireEvent.click(within(form).getByRole("button", { name: "スタッフを追加" }));
    expect((await screen.findByRole("status")).textContent).toContain("jiro@shop.example さんを招待しました");
    await waitFor(() => expect(within(invitations).getByText("jiro@shop.example")).toBeTruthy());

    const row = invitations.querySelector('tr[data-invitation="hanako@shop.example"]') as HTMLElement;
    fireEvent.click(within(row).getByRole("button", { name: "取り消す" }));
    await waitFor(() => expect(within(invitations).queryByText("hanako@shop.example")).toBeNull());
    expect(fetchMock.mock.calls.some(([u, i]) => i?.method === "DELETE" && String(u) === "/api/workspaces/5/staff/invitations/7")).toBe(true);
  });
});

describe("staff list", () => {
  it("says when each member last signed in, in the workspace's time zone, or that they never did", async () => {
    const staff = [
      { id: 1, user_id: 1, email: "owner@shop.example", display_name: "店長", role: "owner", last_login_at: "2026-06-01T00:30:00Z" },
      { id: 2, user_id: 2, email: "hanako@shop.example", display_name: "花子", role: "operator", last_login_at: null },
    ];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (url) => json(String(url).endsWith("/invitations") ? [] : staff));
    render(<StaffPage access={access} />, inConsole);
    const table = await screen.findByRole("table", { name: "スタッフ" });
    expect(within(table).getByRole("columnheader", { name: "最終ログイン" })).toBeTruthy();
    const owner = within(table).getByRole("rowheader", { name: "店長" }).closest("tr") as HTMLElement;
    expect(owner.textContent).toContain("2026/06/01 9:30"); // 00:30 UTC is 9:30 in Tokyo
    const hanako = within(table).getByRole("rowheader", { name: "花子" }).closest("tr") as HTMLElement;
    expect(within(hanako).getByText("未ログイン")).toBeTruthy();
  });
});
