import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { WorkspaceAccess } from "../../types";
import { TagsPage } from "./TagsPage";

const access: WorkspaceAccess = {
  workspace: { id: 5, name: "縁カフェ", timezone: "Asia/Tokyo" },
  role: "owner",
  permissions: ["tags.manage"],
  enabled_plugins: ["tags"],
};

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

afterEach(() => {
  vi.restoreAllMocks();
});

describe("deleting a tag", () => {
  it("names the running scenarios that use it and deletes only once the user insists", async () => {
    const vip = { id: 7, name: "VIP", color: "#06c755", folder_id: null, description: "", pinned: false, friend_count: 3 };
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
    const confirm = vi.spyOn(window, "confirm").mockReturnValue(true);
    render(<TagsPage access={access} />);
    await screen.findByText("VIP");
    fireEvent.click(screen.getByRole("button", { name: "削除" }));
    await waitFor(() => expect(deletes).toEqual(["/api/workspaces/5/tags/7", "/api/workspaces/5/tags/7?force=true"]));
    expect(confirm).toHaveBeenCalledTimes(2);
    expect(confirm.mock.calls[1][0]).toContain("シナリオ「VIPにする」で使われています");
  });
});
