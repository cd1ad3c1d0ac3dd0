import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { forgetLookups, LookupContext } from "../../forms/pickers";
import { lookupsOf } from "../../forms/lookups.fixture";
import { inConsole } from "../../test/router";
import type { NodeTypeDef } from "../../types";
import { ConditionsContext, ParamsForm } from "./ParamsForm";

const hasTags: NodeTypeDef = {
  key: "tags.has_tags",
  kind: "condition",
  version: 1,
  plugin: "tags",
  label: { ja: "タグ", en: "Tags" },
  description: null,
  config_schema: {
    type: "object",
    properties: { tag_ids: { type: "array", items: { type: "integer" }, title: "タグ / Tags" } },
    required: ["tag_ids"],
  },
  ui_schema: {},
  inputs: [],
  outputs: [],
  allowed_targets: null,
  deprecated: false,
};

const schema = {
  type: "object",
  properties: {
    conversion: {
      type: "object",
      title: "コンバージョン条件 / Conversion condition",
      properties: { type: { type: "string" }, config: { type: "object" } },
      required: ["type", "config"],
    },
    segment: { type: "object", title: "対象の絞り込み / Segment" },
  },
};

function respond(url: string): Response {
  if (url.endsWith("/tags")) return new Response(JSON.stringify([{ id: 7, name: "購入者", color: "#f00" }]));
  if (url.endsWith("/friends/tabs"))
    return new Response(JSON.stringify([{ id: 4, name: "VIP", segment: { all: [{ type: "x", config: {} }] } }]));
  return new Response("[]");
}

function renderForm(params: Record<string, unknown>, onChange = vi.fn()) {
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => respond(String(input)));
  render(
    <LookupContext.Provider value={{ workspaceId: 3, lookups: lookupsOf("tags") }}>
      <ConditionsContext.Provider value={[hasTags]}>
        <ParamsForm
          schema={schema}
          uiSchema={{}}
          params={params}
          onChange={onChange}
          onSubmit={() => undefined}
          errors={{ conversion: { config: { tag_ids: { __errors: ["タグがありません"] } } } }}
        >
          <button type="submit">集計する</button>
        </ParamsForm>
      </ConditionsContext.Provider>
    </LookupContext.Provider>,
    inConsole,
  );
  return onChange;
}

afterEach(() => {
  vi.restoreAllMocks();
  forgetLookups();
});

describe("report parameter form", () => {
  it("edits a condition: its type from the catalog, its config from the type's own schema", async () => {
    const onChange = renderForm({});
    const conversion = screen.getByRole("group", { name: "コンバージョン条件" });
    fireEvent.mouseDown(within(conversion).getByRole("combobox", { name: "条件の種類" }));
    fireEvent.click(await screen.findByText("タグ", { selector: ".ant-select-item-option-content" }));
    await waitFor(() =>
      // (the config form fills in its schema's defaults: an empty list of tags)
      expect(onChange).toHaveBeenLastCalledWith({
        conversion: { type: "tags.has_tags", type_version: 1, config: { tag_ids: [] } },
      }),
    );
    // No type chosen again: the optional condition is left out rather than sent half-filled.
    const type = within(conversion).getByRole("combobox", { name: "条件の種類" });
    fireEvent.mouseDown(type.closest(".ant-select")!.querySelector(".ant-select-clear")!);
    await waitFor(() => expect(onChange).toHaveBeenLastCalledWith({}));
  });

  it("shows the config's picker and the server's message on it", async () => {
    const onChange = renderForm({ conversion: { type: "tags.has_tags", config: {} } });
    fireEvent.click(await screen.findByLabelText("購入者"));
    await waitFor(() =>
      expect(onChange).toHaveBeenLastCalledWith({ conversion: { type: "tags.has_tags", config: { tag_ids: [7] } } }),
    );
    expect(screen.getByText("タグがありません")).toBeTruthy();
  });

  it("takes a segment from the saved friend-list tabs", async () => {
    const onChange = renderForm({});
    const select = screen.getByRole("combobox", { name: "対象の絞り込み" });
    await waitFor(() => expect(select.hasAttribute("disabled")).toBe(false));
    fireEvent.mouseDown(select);
    fireEvent.click(await screen.findByText("VIP", { selector: ".ant-select-item-option-content" }));
    await waitFor(() =>
      expect(onChange).toHaveBeenLastCalledWith({ segment: { all: [{ type: "x", config: {} }] } }),
    );
  });
});
