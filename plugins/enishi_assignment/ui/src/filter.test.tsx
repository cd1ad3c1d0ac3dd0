import { render, screen, waitFor } from "@testing-library/react";
import { type CatalogLookup, LookupContext, registered } from "@enishi/plugin-ui";
import { inConsole, optionsOf } from "@enishi/plugin-ui/testing";
import register from "./index";

const filters = () => registered(register, "assignment").conversationFilter;

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

afterEach(() => vi.restoreAllMocks());

describe("the inbox's filter by assignee", () => {
  it("offers me only to staff of the workspace, and stands for the assignee condition", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response(JSON.stringify([{ user_id: 2, display_name: "佐藤" }])));
    const [filter] = filters();
    const view = (meId: number | null) => (
      <LookupContext.Provider value={{ workspaceId: 3, lookups: [STAFF] }}>
        <filter.component workspaceId={3} meId={meId} value="" onChange={vi.fn()} />
      </LookupContext.Provider>
    );
    const { rerender } = render(view(9), inConsole);
    const select = screen.getByRole("combobox", { name: "担当者" });
    await waitFor(async () => expect(await optionsOf(select)).toContain("佐藤"));
    expect(await optionsOf(select)).toEqual(["すべて", "未割り当て", "佐藤"]); // user 9 is not staff here
    rerender(view(2));
    expect(await optionsOf(select)).toEqual(["すべて", "自分", "未割り当て", "佐藤"]);

    expect(filter.condition("nobody", { meId: 2 })).toEqual({ type: "assignment.assignee_is", config: { match: "nobody" } });
    expect(filter.condition("me", { meId: 2 })).toEqual({ type: "assignment.assignee_is", config: { match: "any_of", user_ids: [2] } });
    // Not read yet who is signed in: "me" matches nobody's assignee rather than everyone.
    expect(filter.condition("me", { meId: null })).toEqual({ type: "assignment.assignee_is", config: { match: "any_of", user_ids: [0] } });
    expect(filter.condition("4", { meId: 2 })).toEqual({ type: "assignment.assignee_is", config: { match: "any_of", user_ids: [4] } });
  });
});
