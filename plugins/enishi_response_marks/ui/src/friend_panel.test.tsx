import { render, screen, waitFor } from "@testing-library/react";
import { type CatalogLookup, LookupContext, registered } from "@enishi/plugin-ui";
import { choose, chosen, inConsole, optionsOf } from "@enishi/plugin-ui/testing";
import register from "./index";

const panels = () => registered(register, "response_marks").friendPanel;

const MARKS: CatalogLookup = {
  name: "response_marks.marks",
  plugin: "response_marks",
  path: "/response_marks/marks",
  paged: false,
  value_field: "id",
  label_field: "label",
  hint_field: null,
  color_field: "color",
  properties: {},
  widgets: [],
};

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

const marks = [
  { id: 1, label: "要対応", color: "#e53935" },
  { id: 3, label: "対応済", color: "#43a047" },
];

afterEach(() => vi.restoreAllMocks());

function show(workspaceId: number, permissions: string[]) {
  const Panel = panels()[0].component;
  render(
    <LookupContext.Provider value={{ workspaceId, lookups: [MARKS] }}>
      <Panel workspaceId={workspaceId} permissions={permissions} friendId={5} timezone="Asia/Tokyo" />
    </LookupContext.Provider>,
    inConsole,
  );
}

const mark = () => screen.getByRole("combobox", { name: "対応マーク" });

describe("the friend's mark panel", () => {
  it("comes after the tags on the friend's page", () => {
    expect(panels().map((p) => [p.key, p.title, p.order])).toEqual([["mark", { ja: "対応マーク", en: "Response mark" }, 20]]);
  });

  it("changes the mark at once, and takes it off with none", async () => {
    let held: { id: number } | null = { id: 1 };
    const calls: [string, string, unknown][] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (url, init) => {
      const method = init?.method ?? "GET";
      calls.push([method, String(url), init?.body ? JSON.parse(String(init.body)) : null]);
      if (String(url).endsWith("/response_marks/marks")) return json(marks);
      if (method === "PUT") held = { id: 3 };
      if (method === "DELETE") held = null;
      return json({ friend_id: 5, mark: held });
    });
    show(21, ["response_marks.assign"]);
    await screen.findByRole("combobox", { name: "対応マーク" });
    await waitFor(() => expect(chosen(mark())).toBe("要対応"));
    expect(await optionsOf(mark())).toEqual(["なし", "要対応", "対応済"]);
    await choose(mark(), "対応済");
    expect(await screen.findByRole("status")).toHaveProperty("textContent", "変更しました");
    expect(calls).toContainEqual(["PUT", "/api/workspaces/21/response_marks/friends/5", { mark_id: 3 }]);
    await waitFor(() => expect(chosen(mark())).toBe("対応済"));
    await choose(mark(), "なし");
    expect(calls).toContainEqual(["DELETE", "/api/workspaces/21/response_marks/friends/5", null]);
    await waitFor(() => expect(chosen(mark())).toBe("なし"));
  });

  it("is read-only without response_marks.assign", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async (url) =>
      json(String(url).endsWith("/marks") ? marks : { friend_id: 5, mark: null }),
    );
    show(22, []);
    const select = (await screen.findByRole("combobox", { name: "対応マーク" })) as HTMLInputElement;
    expect(select.disabled).toBe(true);
  });
});
