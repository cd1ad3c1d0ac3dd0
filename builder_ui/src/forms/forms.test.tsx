import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { NODE_TYPES } from "../test/fixtures";
import { defaultConfig } from "../editor/defaults";
import { ConfigForm } from "./ConfigForm";
import { LinePreview } from "./LinePreview";
import { forgetLookups, LookupContext, pickerFor } from "./pickers";
import { decorateUiSchema, formSchema, localizeSchema } from "./schema";

const tagType = NODE_TYPES.find((t) => t.key === "tags.add_tag")!;
const waitType = NODE_TYPES.find((t) => t.key === "core.wait_delay")!;

afterEach(() => {
  vi.restoreAllMocks();
  forgetLookups();
});

describe("schemas for forms", () => {
  it("shows one language of a 'ja / en' title", () => {
    expect(localizeSchema({ title: "分 / Minutes", enum: ["a / b"] }, "ja")).toEqual({ title: "分", enum: ["a / b"] });
    expect(localizeSchema({ title: "分 / Minutes" }, "en")).toEqual({ title: "Minutes" });
  });
  it("drops constraint-only anyOf from the layout", () => {
    expect(formSchema(waitType.config_schema)).not.toHaveProperty("anyOf");
  });
  it("chooses pickers by lookup name or well-known property, else a plain widget", () => {
    expect(pickerFor("tag_ids", { type: "array", items: { type: "integer" } })).toBe("tags.tags");
    expect(pickerFor("mark_id", { type: ["integer", "null"] })).toBe("response_marks.marks");
    expect(pickerFor("key", { type: "string" })).toBe("friend_fields.fields");
    expect(pickerFor("key", { type: "integer" })).toBeNull();
    expect(pickerFor("anything", { type: "integer" }, "assignment.staff")).toBe("assignment.staff");
    expect(pickerFor("colour", { type: "string" })).toBeNull();
    const ui = decorateUiSchema(tagType.config_schema, {});
    expect(ui.tag_ids).toMatchObject({ "ui:widget": "lookup", "ui:options": { lookup: "tags.tags", multiple: true } });
  });
  it("gives a new node its schema's defaults but no empty list items", () => {
    expect(defaultConfig(waitType)).toEqual({ days: 0, hours: 0, minutes: 0 });
    expect(defaultConfig(NODE_TYPES.find((t) => t.key === "messages.send_messages")!)).toEqual({ messages: [] });
  });
});

describe("config form", () => {
  it("renders a plain generated form and reports changes", async () => {
    const onChange = vi.fn();
    render(<ConfigForm nodeType={waitType} config={{ days: 0, hours: 0, minutes: 0 }} onChange={onChange} />);
    fireEvent.change(screen.getByLabelText("分"), { target: { value: "30" } });
    await waitFor(() => expect(onChange).toHaveBeenLastCalledWith({ days: 0, hours: 0, minutes: 30 }));
  });

  it("picks tags from the plugin's list", async () => {
    const fetchMock = vi.spyOn(globalThis, "fetch").mockResolvedValue(
      new Response(JSON.stringify([{ id: 7, name: "購入希望", color: "#ff0000" }, { id: 8, name: "常連", color: "#00ff00" }]), {
        status: 200,
      }),
    );
    const onChange = vi.fn();
    render(
      <LookupContext.Provider value={{ workspaceId: 3, enabledPlugins: ["tags"] }}>
        <ConfigForm nodeType={tagType} config={{}} onChange={onChange} />
      </LookupContext.Provider>,
    );
    fireEvent.click(await screen.findByLabelText("常連"));
    await waitFor(() => expect(onChange).toHaveBeenLastCalledWith({ tag_ids: [8] }));
    expect(fetchMock.mock.calls[0][0]).toBe("/api/workspaces/3/tags");
  });

  it("lets you type ids when the plugin is off", async () => {
    const onChange = vi.fn();
    render(
      <LookupContext.Provider value={{ workspaceId: 3, enabledPlugins: [] }}>
        <ConfigForm nodeType={tagType} config={{}} onChange={onChange} />
      </LookupContext.Provider>,
    );
    fireEvent.change(await screen.findByLabelText("タグ"), { target: { value: "4, 5" } });
    await waitFor(() => expect(onChange).toHaveBeenLastCalledWith({ tag_ids: [4, 5] }));
  });
});

describe("LINE preview", () => {
  it("shows text bubbles and button cards", () => {
    render(
      <LinePreview
        messages={[
          { type: "text", text: "ようこそ" },
          {
            type: "template",
            altText: "ご案内",
            template: { type: "buttons", title: "春の新作", text: "見てみますか？", actions: [{ type: "postback", label: "見る" }] },
          },
        ]}
      />,
    );
    expect(screen.getByText("ようこそ")).toBeTruthy();
    const card = screen.getByRole("group", { name: "ご案内" });
    expect(card.textContent).toContain("春の新作");
    expect(card.textContent).toContain("見る");
  });
});
