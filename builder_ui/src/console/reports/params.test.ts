import { describe, expect, it } from "vitest";
import { TEST_LOOKUPS } from "../../forms/lookups.fixture";
import { initialParams, pruneParams, reportUiSchema, withBranchDefaults, withPickedLabels } from "./params";

// The shapes of the cross analysis' dimension and the inflow report's parameters.
const dimension = {
  type: "object",
  properties: { kind: { enum: ["tags", "marks", "follow_month"] } },
  required: ["kind"],
  allOf: [
    {
      if: { properties: { kind: { const: "tags" } } },
      then: {
        type: "object",
        properties: {
          kind: { const: "tags" },
          tag_ids: { type: "array", items: { type: "integer" } },
          include_none: { type: "boolean", default: true },
          labels: { type: "array", items: { type: "string" } },
        },
        additionalProperties: false,
      },
    },
    {
      if: { properties: { kind: { const: "follow_month" } } },
      then: { type: "object", properties: { kind: { const: "follow_month" } }, additionalProperties: false },
    },
  ],
};
const condition = {
  type: "object",
  properties: { type: { type: "string" }, config: { type: "object" } },
  required: ["type", "config"],
};
const schema = {
  type: "object",
  properties: {
    from: { type: "string", format: "date" },
    to: { type: "string", format: "date" },
    route_ids: { type: "array", items: { type: "integer" } },
    rows: dimension,
    conversion: condition,
    stages: { type: "array", items: condition },
    segment: { type: "object" },
  },
  required: ["from", "to"],
  additionalProperties: false,
};

describe("report parameter forms", () => {
  it("chooses pickers, the condition editor and the segment picker from the schema", () => {
    const ui = reportUiSchema(schema, {}, TEST_LOOKUPS) as Record<string, Record<string, unknown>>;
    expect(ui.route_ids["ui:widget"]).toBe("lookup");
    expect(ui.route_ids["ui:options"]).toMatchObject({ lookup: "inflow.routes", multiple: true });
    expect((ui.rows.tag_ids as Record<string, unknown>)["ui:options"]).toMatchObject({ lookup: "tags.tags" });
    expect(ui.conversion["ui:field"]).toBe("condition");
    expect((ui.stages.items as Record<string, unknown>)["ui:field"]).toBe("condition");
    expect(ui.segment["ui:field"]).toBe("segment");
    // A plugin's own hint wins over the guess.
    const own = reportUiSchema(schema, { route_ids: { "ui:widget": "textarea" } }, TEST_LOOKUPS) as Record<string, Record<string, unknown>>;
    expect(own.route_ids["ui:widget"]).toBe("textarea");
  });

  it("starts a required period at the last 30 days", () => {
    expect(initialParams(schema, new Date(2026, 10, 27))).toEqual({ from: "2026-10-29", to: "2026-11-27" });
    expect(initialParams({ type: "object", properties: { year: { type: "integer" } } })).toEqual({});
  });

  it("drops what a closed object no longer allows after its choice changed, and empty values", () => {
    const pruned = pruneParams(schema, {
      from: "2026-01-01",
      to: "",
      stray: 1,
      rows: { kind: "follow_month", tag_ids: [3], labels: [] },
      stages: [{ type: "tags.has_tags", config: { tag_ids: [1] } }],
      segment: { all: [{ type: "x", config: {} }] },
    });
    expect(pruned).toEqual({
      from: "2026-01-01",
      rows: { kind: "follow_month" },
      stages: [{ type: "tags.has_tags", config: { tag_ids: [1] } }],
      segment: { all: [{ type: "x", config: {} }] },
    });
  });

  it("names the buckets after the picked tags unless labels were typed", async () => {
    const options = async (lookup: string) =>
      lookup === "tags.tags"
        ? [
            { value: 3, label: "VIP" },
            { value: 5, label: "セミナー" },
          ]
        : [];
    expect(await withPickedLabels(schema, { rows: { kind: "tags", tag_ids: [5, 3] } }, options, TEST_LOOKUPS)).toEqual({
      rows: { kind: "tags", tag_ids: [5, 3], labels: ["セミナー", "VIP"] },
    });
    const typed = { rows: { kind: "tags", tag_ids: [5], labels: ["常連"] } };
    expect(await withPickedLabels(schema, typed, options, TEST_LOOKUPS)).toEqual(typed);
    const months = { rows: { kind: "follow_month" } };
    expect(await withPickedLabels(schema, months, options, TEST_LOOKUPS)).toEqual(months);
  });
});

describe("branch defaults", () => {
  it("fills the defaults of the branch the data is in, keeping what was chosen", () => {
    expect(withBranchDefaults(schema, { rows: { kind: "tags" } })).toEqual({ rows: { kind: "tags", include_none: true } });
    expect(withBranchDefaults(schema, { rows: { kind: "tags", include_none: false } })).toEqual({
      rows: { kind: "tags", include_none: false },
    });
    expect(withBranchDefaults(schema, { rows: { kind: "follow_month" } })).toEqual({ rows: { kind: "follow_month" } });
  });
});
