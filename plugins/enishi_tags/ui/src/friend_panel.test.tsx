import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { type CatalogLookup, LookupContext, registered } from "@enishi/plugin-ui";
import { choose, chosen, inConsole, optionsOf } from "@enishi/plugin-ui/testing";
import register from "./index";

const panels = () => registered(register, "tags").friendPanel;

const TAGS: CatalogLookup = {
  name: "tags.tags",
  plugin: "tags",
  path: "/tags",
  paged: false,
  value_field: "id",
  label_field: "name",
  hint_field: null,
  color_field: "color",
  properties: {},
  widgets: [],
};

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

afterEach(() => vi.restoreAllMocks());

describe("the friend's tags panel", () => {
  it("comes first on the friend's page", () => {
    expect(panels().map((p) => [p.key, p.title, p.order])).toEqual([["tags", { ja: "タグ", en: "Tags" }, 10]]);
  });

  it("shows the friend's tags, adds one of the workspace's and takes one off", async () => {
    const Panel = panels()[0].component;
    let held = [{ tag_id: 7, name: "VIP", color: "#06c755", added_at: "2026-01-01T00:00:00Z", source: "manual" }];
    const calls: [string, string][] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (url, init) => {
      const method = init?.method ?? "GET";
      calls.push([method, String(url)]);
      if (String(url) === "/api/workspaces/11/tags") {
        return json([
          { id: 7, name: "VIP", color: "#06c755" },
          { id: 8, name: "常連", color: "#ff8800" },
        ]);
      }
      if (method === "PUT") held = [...held, { ...held[0], tag_id: 8, name: "常連" }];
      if (method === "DELETE") held = held.filter((t) => !String(url).endsWith(`/${t.tag_id}`));
      return json(method === "GET" ? held : {});
    });
    render(
      <LookupContext.Provider value={{ workspaceId: 11, lookups: [TAGS] }}>
        <Panel workspaceId={11} permissions={[]} friendId={3} timezone="Asia/Tokyo" />
      </LookupContext.Provider>,
      inConsole,
    );
    const panel = await screen.findByRole("region", { name: "タグ" });
    await within(panel).findByText("VIP");
    // Only a tag the friend does not have is offered.
    const select = within(panel).getByRole("combobox", { name: "追加するタグ" });
    expect(panel.querySelector(".ant-select-selection-placeholder")?.textContent).toBe("選択してください");
    await waitFor(async () => expect(await optionsOf(select)).toEqual(["常連"]));
    expect((within(panel).getByRole("button", { name: "タグを追加" }) as HTMLButtonElement).disabled).toBe(true);
    await choose(select, "常連");
    expect(chosen(select)).toBe("常連");
    await act(async () => {
      fireEvent.click(within(panel).getByRole("button", { name: "タグを追加" }));
    });
    expect(await within(panel).findByText("常連")).toBeTruthy();
    expect(calls).toContainEqual(["PUT", "/api/workspaces/11/tags/friends/3/8"]);
    await act(async () => {
      fireEvent.click(within(panel).getByRole("button", { name: "タグ「VIP」を外す" }));
    });
    await waitFor(() => expect([...panel.querySelectorAll(".friend-tag .tag-name")].map((c) => c.textContent)).toEqual(["常連"]));
    expect(calls).toContainEqual(["DELETE", "/api/workspaces/11/tags/friends/3/7"]);
  });

  it("says when the friend has no tags, and shows what the server refused", async () => {
    const Panel = panels()[0].component;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (url, init) => {
      if (init?.method === "PUT") return json({ error: "not_found", message: "no such tag", errors: [{ path: "path:tag_id", message: "なし" }] }, 404);
      return json(String(url).endsWith("/tags") ? [{ id: 9, name: "春", color: "#000000" }] : []);
    });
    render(
      <LookupContext.Provider value={{ workspaceId: 12, lookups: [TAGS] }}>
        <Panel workspaceId={12} permissions={[]} friendId={4} timezone="Asia/Tokyo" />
      </LookupContext.Provider>,
      inConsole,
    );
    expect(await screen.findByText("タグはありません")).toBeTruthy();
    await choose(screen.getByRole("combobox", { name: "追加するタグ" }), "春");
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "タグを追加" }));
    });
    expect((await screen.findByRole("alert")).textContent).toBe("なし");
  });
});
