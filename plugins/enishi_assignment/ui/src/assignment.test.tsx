import { render, screen, waitFor } from "@testing-library/react";
import { type CatalogLookup, LookupContext, registered } from "@enishi/plugin-ui";
import { choose, chosen, inConsole, optionsOf } from "@enishi/plugin-ui/testing";
import register from "./index";

const panels = () => registered(register, "assignment").friendPanel;

const STAFF: CatalogLookup = {
  name: "assignment.staff",
  plugin: "assignment",
  path: "/assignment/staff",
  paged: false,
  value_field: "user_id",
  label_field: "display_name",
  hint_field: null,
  color_field: null,
  properties: {},
  widgets: [],
};

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

const staff = [
  { user_id: 2, display_name: "佐藤" },
  { user_id: 4, display_name: "鈴木" },
];

afterEach(() => vi.restoreAllMocks());

function show(workspaceId: number, permissions: string[]) {
  const Panel = panels()[0].component;
  render(
    <LookupContext.Provider value={{ workspaceId, lookups: [STAFF] }}>
      <Panel workspaceId={workspaceId} permissions={permissions} friendId={6} timezone="Asia/Tokyo" />
    </LookupContext.Provider>,
    inConsole,
  );
}

const assignee = () => screen.getByRole("combobox", { name: "担当者" }) as HTMLInputElement;

describe("the assignment module", () => {
  it("puts the friend's assignee on the friend's page, after the tags and the mark", () => {
    expect(panels().map((p) => [p.key, p.title, p.order])).toEqual([["assignee", { ja: "担当者", en: "Assignee" }, 30]]);
  });

  it("assigns a staff member at once, and unassigns", async () => {
    let current: { user_id: number } | null = null;
    const calls: [string, string, unknown][] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (url, init) => {
      const method = init?.method ?? "GET";
      calls.push([method, String(url), init?.body ? JSON.parse(String(init.body)) : null]);
      if (String(url).endsWith("/assignment/staff")) return json(staff);
      if (method === "PUT") current = { user_id: 4 };
      if (method === "DELETE") current = null;
      return json({ friend_id: 6, assignee: current });
    });
    show(31, ["assignment.assign"]);
    await screen.findByRole("combobox", { name: "担当者" });
    await waitFor(async () => expect(await optionsOf(assignee())).toEqual(["未割り当て", "佐藤", "鈴木"]));
    expect(chosen(assignee())).toBe("未割り当て");
    await choose(assignee(), "鈴木");
    expect(calls).toContainEqual(["PUT", "/api/workspaces/31/assignment/friends/6", { user_id: 4 }]);
    expect((await screen.findByRole("status")).textContent).toBe("変更しました");
    await waitFor(() => expect(chosen(assignee())).toBe("鈴木"));
    await choose(assignee(), "未割り当て");
    expect(calls).toContainEqual(["DELETE", "/api/workspaces/31/assignment/friends/6", null]);
    await waitFor(() => expect(chosen(assignee())).toBe("未割り当て"));
  });

  it("is read-only without assignment.assign, and shows what the server says", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async (url) =>
      String(url).endsWith("/staff") ? json(staff) : json({ error: "forbidden", message: "権限がありません", errors: [] }, 403),
    );
    show(32, []);
    expect((await screen.findByRole("alert")).textContent).toBe("権限がありません");
    expect(assignee().disabled).toBe(true);
  });
});
