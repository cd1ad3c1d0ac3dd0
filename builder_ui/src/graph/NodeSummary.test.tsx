import { render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { forgetLookups, LookupContext } from "../forms/pickers";
import { lookupsOf } from "../forms/lookups.fixture";
import { NODE_TYPES } from "../test/fixtures";
import { NodeSummary } from "./NodeSummary";
import { lookupsByProperty } from "./useSummaryNames";

const hasTags = {
  ...NODE_TYPES.find((t) => t.key === "tags.has_tags")!,
  config_schema: {
    type: "object",
    properties: {
      tag_ids: { type: "array", items: { type: "integer" }, title: "タグ / Tags" },
      match: {
        type: "string",
        title: "条件 / Match",
        oneOf: [
          { const: "any", title: "いずれかを持つ / Has any" },
          { const: "none", title: "どれも持たない / Has none" },
        ],
      },
    },
  },
};

afterEach(() => {
  vi.restoreAllMocks();
  forgetLookups();
});

describe("a node's summary on the canvas", () => {
  it("finds the lookup of each property as the forms do: named by the uiSchema, or claimed by its name", () => {
    const lookups = lookupsOf("tags", "assignment", "messages");
    expect(lookupsByProperty(hasTags.config_schema, {}, lookups)).toEqual({ tag_ids: "tags.tags" });
    const schema = { type: "object", properties: { who: { type: "integer" }, template_id: { type: "integer" }, text: { type: "string" } } };
    expect(lookupsByProperty(schema, { who: { "ui:options": { lookup: "assignment.staff" } } }, lookups)).toEqual({
      who: "assignment.staff",
      template_id: "messages.templates",
    });
  });

  it("shows the tags' names, read through the pickers' lookup, and the match's label", async () => {
    const fetch = vi.spyOn(globalThis, "fetch").mockImplementation(async () =>
      new Response(JSON.stringify([{ id: 1, name: "常連", color: "#f00" }]), { status: 200, headers: { "Content-Type": "application/json" } }),
    );
    render(
      <LookupContext.Provider value={{ workspaceId: 3, lookups: lookupsOf("tags") }}>
        <NodeSummary typeKey="tags.has_tags" config={{ tag_ids: [1], match: "any" }} type={hasTags} />
      </LookupContext.Provider>,
    );
    // counted until the names arrive, never the id
    expect(screen.getByText("タグ: 1件, 条件: いずれかを持つ")).toBeTruthy();
    expect(await screen.findByText("タグ: 常連, 条件: いずれかを持つ")).toBeTruthy();
    expect(String(fetch.mock.calls[0][0])).toContain("/workspaces/3/tags");
  });
});
