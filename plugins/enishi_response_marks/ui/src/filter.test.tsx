import { fireEvent, render, screen } from "@testing-library/react";
import { type CatalogLookup, LookupContext, registered } from "@enishi/plugin-ui";
import register from "./index";

const filters = () => registered(register, "response_marks").conversationFilter;

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

afterEach(() => vi.restoreAllMocks());

describe("the inbox's filter by mark", () => {
  it("offers any, no mark and the workspace's marks, and stands for the mark condition", async () => {
    vi.spyOn(globalThis, "fetch").mockResolvedValue(new Response(JSON.stringify([{ id: 4, label: "対応済", color: "#00aa00" }])));
    const [filter] = filters();
    const onChange = vi.fn();
    render(
      <LookupContext.Provider value={{ workspaceId: 3, lookups: [MARKS] }}>
        <filter.component workspaceId={3} meId={9} value="" onChange={onChange} />
      </LookupContext.Provider>,
    );
    await screen.findByRole("option", { name: "対応済" });
    expect(screen.getByRole("option", { name: "すべて" })).toBeTruthy();
    fireEvent.change(screen.getByLabelText("対応マーク"), { target: { value: "4" } });
    expect(onChange).toHaveBeenCalledWith("4");
    expect(filter.condition("4", { meId: 9 })).toEqual({ type: "response_marks.mark_is", config: { mark_ids: [4] } });
    expect(filter.condition("none", { meId: 9 })).toEqual({ type: "response_marks.mark_is", config: { no_mark: true } });
    expect(filter.condition("x", { meId: 9 })).toBeNull();
  });
});
