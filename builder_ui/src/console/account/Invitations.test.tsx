import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { inConsole } from "../../test/router";
import { Invitations } from "./Invitations";
import en from "./locales/en.json";
import ja from "./locales/ja.json";

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

afterEach(() => {
  vi.restoreAllMocks();
});

describe("my invitations", () => {
  it("has every Japanese string in English too", () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(ja).sort());
  });

  it("shows who invites me where, and joins only when I accept", async () => {
    let open = [
      { id: 3, workspace_id: 9, workspace_name: "縁カフェ", role: "operator", invited_by: "店長", expires_at: "2030-01-01T00:00:00Z" },
      { id: 4, workspace_id: 10, workspace_name: "別の店", role: "viewer", invited_by: null, expires_at: "2030-01-01T00:00:00Z" },
    ];
    const fetchMock = vi.spyOn(globalThis, "fetch").mockImplementation(async (url, init) => {
      if (init?.method === "POST") {
        const id = Number(String(url).split("/")[4]);
        open = open.filter((i) => i.id !== id);
        return json({ id, workspace_id: 9, role: "operator", status: String(url).endsWith("accept") ? "accepted" : "declined" });
      }
      return json(open);
    });
    const answered = vi.fn();
    render(<Invitations onAnswered={answered} />, inConsole);
    const panel = await screen.findByRole("region", { name: "ワークスペースへの招待" });
    const cafe = panel.querySelector('li[data-invitation="縁カフェ"]') as HTMLElement;
    expect(cafe.textContent).toContain("縁カフェ に「オペレーター」として招待されています");
    expect(cafe.textContent).toContain("店長さんから");
    fireEvent.click(within(cafe).getByRole("button", { name: "参加する" }));
    await waitFor(() => expect(answered).toHaveBeenCalledTimes(1));
    expect(fetchMock.mock.calls.some(([u, i]) => i?.method === "POST" && String(u) === "/api/auth/invitations/3/accept")).toBe(true);
    await waitFor(() => expect(panel.querySelector('li[data-invitation="縁カフェ"]')).toBeNull());

    const other = panel.querySelector('li[data-invitation="別の店"]') as HTMLElement;
    fireEvent.click(within(other).getByRole("button", { name: "辞退する" }));
    await waitFor(() => expect(screen.queryByRole("region", { name: "ワークスペースへの招待" })).toBeNull());
    expect(fetchMock.mock.calls.some(([u]) => String(u) === "/api/auth/invitations/4/decline")).toBe(true);
  });
});
