import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import Ajv2020 from "ajv/dist/2020";
import { afterEach, describe, expect, it, vi } from "vitest";
import segmentSchema from "../../../../schemas/segment.schema.json";
import { NODE_TYPES } from "../../test/fixtures";
import { inConsole } from "../../test/router";
import type { Catalog, NodeTypeDef, WorkspaceAccess } from "../../types";
import { forgetLookups } from "../../forms/pickers";
import { lookupsOf } from "../../forms/lookups.fixture";
import type { CatalogLookup } from "../../platform/contract";
import { SegmentBuilder, segmentConditionTypes, segmentProblems } from "./SegmentBuilder";
import {
  addItem,
  cleanSegment,
  draftOf,
  EMPTY,
  removeAt,
  setConfig,
  setMode,
  toggleNot,
  type Segment,
} from "./segment";

const validate = new Ajv2020({ strict: false }).compile(segmentSchema);
const valid = (s: Segment | null) => s === null || validate(s) === true;

const tag = (ids: number[]): Segment => ({ type: "tags.has_tags", config: { tag_ids: ids, match: "any" } });

afterEach(() => {
  vi.restoreAllMocks();
  forgetLookups();
});

describe("segment editing", () => {
  it("adds conditions and groups, nested, and stays schema-valid", () => {
    let s = addItem(EMPTY, [], tag([1]));
    s = addItem(s, [], { all: [] });
    s = setMode(s, [1], "any");
    s = addItem(s, [1], tag([2]));
    s = addItem(s, [1], tag([3]));
    s = toggleNot(s, [1, 1]);
    expect(s).toEqual({ all: [tag([1]), { any: [tag([2]), { not: tag([3]) }] }] });
    expect(valid(cleanSegment(s))).toBe(true);
    // A condition inside a not is edited in place.
    s = setConfig(s, [1, 1, "not"], { tag_ids: [4], match: "none" });
    expect(s).toEqual({
      all: [tag([1]), { any: [tag([2]), { not: { type: "tags.has_tags", config: { tag_ids: [4], match: "none" } } }] }],
    });
  });

  it("removes conditions and groups (with the not around them) and leaves out empty groups", () => {
    let s: Segment = { all: [tag([1]), { not: { any: [tag([2])] } }] };
    s = removeAt(s, [1, "not", 0]);
    // The emptied "any" would be invalid (minItems 1): what is sent leaves it out.
    expect(s).toEqual({ all: [tag([1]), { not: { any: [] } }] });
    expect(validate(s)).toBe(false);
    expect(cleanSegment(s)).toEqual({ all: [tag([1])] });
    expect(valid(cleanSegment(s))).toBe(true);
    s = removeAt(s, [1, "not"]);
    expect(s).toEqual({ all: [tag([1])] });
    s = removeAt(s, [0]);
    expect(cleanSegment(s)).toBeNull();
  });

  it("adds to the group inside a not, and takes a not off again", () => {
    let s: Segment = { not: { all: [] } };
    s = addItem(s, [], tag([7]));
    expect(s).toEqual({ not: { all: [tag([7])] } });
    expect(valid(cleanSegment(s))).toBe(true);
    expect(toggleNot(s, [])).toEqual({ all: [tag([7])] });
  });

  it("opens any segment as a group to edit", () => {
    expect(draftOf(null)).toEqual({ all: [] });
    expect(draftOf(tag([1]))).toEqual({ all: [tag([1])] });
    expect(draftOf({ not: tag([1]) })).toEqual({ all: [{ not: tag([1]) }] });
    expect(draftOf({ any: [tag([1])] })).toEqual({ any: [tag([1])] });
  });

  it("re-roots the server's problem paths at the segment", () => {
    expect(
      segmentProblems([
        { path: "$.segment.all[0].config.tag_ids", message: "x" },
        { path: "$.text", message: "y" },
      ]),
    ).toEqual([{ path: "$.all[0].config.tag_ids", message: "x" }]);
  });
});

const hasTags: NodeTypeDef = {
  ...NODE_TYPES.find((t) => t.key === "tags.has_tags")!,
  label: { ja: "タグ", en: "Tags" },
  config_schema: {
    type: "object",
    properties: {
      tag_ids: { type: "array", items: { type: "integer" }, title: "タグ / Tags" },
      match: {
        type: "string",
        oneOf: [
          { const: "any", title: "いずれかを持つ / Has any" },
          { const: "all", title: "すべて持つ / Has all" },
          { const: "none", title: "どれも持たない / Has none" },
        ],
        default: "any",
        title: "条件 / Match",
      },
    },
    required: ["tag_ids"],
  },
  usable_in_segments: true,
};
const scenarioOnly: NodeTypeDef = { ...hasTags, key: "probe.scenario_only", usable_in_segments: false, label: { ja: "シナリオ専用" } };
const catalog: Catalog & { lookups: CatalogLookup[] } = {
  node_types: [...NODE_TYPES.filter((t) => t.key !== "tags.has_tags"), hasTags, scenarioOnly],
  reports: [],
  friend_fields: [],
  lookups: lookupsOf("tags"),
};
const access: WorkspaceAccess = {
  workspace: { id: 3, name: "店", timezone: "Asia/Tokyo" },
  role: "owner",
  permissions: [],
  enabled_plugins: ["tags"],
};

function mockApi() {
  return vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
    const url = String(input);
    const body = url.endsWith("/catalog")
      ? catalog
      : url.endsWith("/tags")
        ? [
            { id: 1, name: "VIP", color: "#f00" },
            { id: 2, name: "新規", color: "#0f0" },
          ]
        : {};
    return new Response(JSON.stringify(body), { status: 200, headers: { "Content-Type": "application/json" } });
  });
}

describe("SegmentBuilder", () => {
  it("offers only conditions usable in segments", () => {
    expect(segmentConditionTypes(catalog).map((t) => t.key)).toEqual(["tags.has_tags"]);
  });

  it("builds a segment with the condition's generated form", async () => {
    mockApi();
    const changes: (Segment | null)[] = [];
    render(<SegmentBuilder access={access} value={null} onChange={(s) => changes.push(s)} />, inConsole);
    // The condition's type is picked in the select's list, as a person does: a scenario-only one is not there.
    fireEvent.mouseDown(await screen.findByRole("combobox", { name: "条件の種類" }));
    const option = { selector: ".ant-select-item-option-content" };
    fireEvent.click(await screen.findByText("タグ", option));
    expect(screen.queryByText("シナリオ専用", option)).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: "条件を追加" }));
    // The tag picker of the form, filled from the workspace's tags.
    fireEvent.click(await screen.findByRole("checkbox", { name: /VIP/ }));
    await waitFor(() =>
      expect(changes[changes.length - 1]).toEqual({ all: [{ type: "tags.has_tags", config: { tag_ids: [1], match: "any" } }] }),
    );
    expect(valid(changes[changes.length - 1]!)).toBe(true);
    // The match is chosen by its label, never its value.
    const condition = screen.getByRole("region", { name: "タグ" });
    expect(within(condition).getByText("いずれかを持つ")).toBeTruthy();
    expect(within(condition).queryByText("any")).toBeNull();

    fireEvent.click(screen.getByRole("checkbox", { name: "この条件を満たさない友だち" }));
    await waitFor(() =>
      expect(changes[changes.length - 1]).toEqual({ all: [{ not: { type: "tags.has_tags", config: { tag_ids: [1], match: "any" } } }] }),
    );
    fireEvent.click(screen.getByRole("button", { name: "グループを追加" }));
    expect(screen.getByText("このグループにはまだ条件がありません(無視されます)")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "条件「タグ」を削除" }));
    await waitFor(() => expect(changes[changes.length - 1]).toBeNull());
    fireEvent.click(screen.getByRole("button", { name: "グループを削除" }));
    expect(screen.getByText("条件なし(すべての友だち)")).toBeTruthy();
  });

  it("shows the server's problems on the condition they concern", async () => {
    mockApi();
    render(
      <SegmentBuilder
        access={access}
        value={{ all: [{ type: "tags.has_tags", config: { tag_ids: [99] } }] }}
        onChange={() => {}}
        problems={[{ path: "$.all[0].config.tag_ids[0]", message: "タグ 99 はありません" }]}
      />,
      inConsole,
    );
    const condition = await screen.findByRole("region", { name: "タグ" });
    expect(condition.textContent).toContain("タグ 99 はありません");
  });
});
