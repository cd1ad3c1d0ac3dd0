import { render, screen } from "@testing-library/react";
import { type CatalogLookup, LookupContext, registered } from "@enishi/plugin-ui";
import { choose, inConsole, optionsOf } from "@enishi/plugin-ui/testing";
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
      inConsole,
    );
    const select = screen.getByRole("combobox", { name: "対応マーク" });
    await choose(select, "対応済");
    expect(onChange).toHaveBeenCalledWith("4");
    expect(await optionsOf(select)).toEqual(["すべて", "マークなし", "対応済"]);
    expect(filter.condition("4", { meId: 9 })).toEqual({ type: "response_marks.mark_is", config: { mark_ids: [4] } });
    expect(filter.condition("none", { meId: 9 })).toEqual({ type: "response_marks.mark_is", config: { no_mark: true } });
    expect(filter.condition("x", { meId: 9 })).toBeNull();
  });
});
