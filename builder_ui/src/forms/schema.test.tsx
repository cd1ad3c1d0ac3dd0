import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { NODE_TYPES } from "../test/fixtures";
import type { NodeTypeDef } from "../types";
import i18n from "../i18n";
import { ConfigForm } from "./ConfigForm";
import { choiceTitles, localizeSchema } from "./schema";

const MATCH = {
  type: "string",
  title: "条件 / Match",
  default: "any_of",
  oneOf: [
    { const: "any_of", title: "いずれかが担当 / Assigned to one of them" },
    { const: "nobody", title: "未割り当て / Unassigned" },
  ],
};
const assigneeIs: NodeTypeDef = {
  ...NODE_TYPES.find((t) => t.key === "tags.has_tags")!,
  key: "assignment.assignee_is",
  config_schema: { type: "object", properties: { match: MATCH }, required: ["match"] },
};

describe("labelled choices", () => {
  it("are shown in the UI's language, their values kept", () => {
    expect(localizeSchema(MATCH, "ja")).toEqual({
      ...MATCH,
      title: "条件",
      oneOf: [
        { const: "any_of", title: "いずれかが担当" },
        { const: "nobody", title: "未割り当て" },
      ],
    });
    expect((localizeSchema(MATCH, "en") as typeof MATCH).oneOf[1]).toEqual({ const: "nobody", title: "Unassigned" });
    expect([...choiceTitles(MATCH, "en")]).toEqual([
      ["any_of", "Assigned to one of them"],
      ["nobody", "Unassigned"],
    ]);
    const kinds = { type: "array", items: { type: "string", oneOf: [{ const: "image", title: "画像 / Image" }] } };
    expect(choiceTitles(kinds, "ja").get("image")).toBe("画像");
  });

  it("are a select of the labels in a node's form, and choosing one stores its value", async () => {
    const onChange = vi.fn();
    render(<ConfigForm nodeType={assigneeIs} config={{ match: "any_of" }} onChange={onChange} />);
    const select = screen.getByRole("combobox", { name: "条件" });
    expect(screen.getByText("いずれかが担当")).toBeTruthy();
    expect(screen.queryByText("any_of")).toBeNull();
    fireEvent.mouseDown(select);
    const list = await screen.findByRole("listbox");
    expect(within(list.parentElement!).getByText("未割り当て")).toBeTruthy();
    const shown = screen.getAllByText("未割り当て");
    fireEvent.click(shown[shown.length - 1]);
    await waitFor(() => expect(onChange).toHaveBeenLastCalledWith({ match: "nobody" }));
  });

  it("read in English when the console speaks English", async () => {
    await i18n.changeLanguage("en");
    try {
      render(<ConfigForm nodeType={assigneeIs} config={{ match: "nobody" }} onChange={() => {}} />);
      expect(screen.getByText("Unassigned")).toBeTruthy();
    } finally {
      await i18n.changeLanguage("ja");
    }
  });
});
