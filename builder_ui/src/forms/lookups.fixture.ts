// For tests: lookups as the built-in plugins register them in the catalog (GET …/catalog → lookups).
import type { CatalogLookup } from "../platform/contract";

function lookup(name: string, path: string, extra: Partial<CatalogLookup> = {}): CatalogLookup {
  return {
    name,
    plugin: name.split(".")[0],
    path,
    paged: false,
    value_field: "id",
    label_field: "name",
    hint_field: null,
    color_field: null,
    properties: {},
    widgets: [],
    ...extra,
  };
}

export const TEST_LOOKUPS: CatalogLookup[] = [
  lookup("tags.tags", "/tags", { color_field: "color", properties: { tag_id: "integer", tag_ids: "integer" } }),
  lookup("response_marks.marks", "/response_marks/marks", {
    label_field: "label",
    color_field: "color",
    properties: { mark_id: "integer", mark_ids: "integer", to_mark_ids: "integer", from_mark_ids: "integer" },
  }),
  lookup("friend_fields.fields", "/friend_fields/fields", {
    value_field: "key",
    label_field: "label",
    hint_field: "key",
    properties: { key: "string", keys: "string" },
  }),
  lookup("assignment.staff", "/assignment/staff", {
    value_field: "user_id",
    label_field: "display_name",
    properties: { user_id: "integer", user_ids: "integer", to_user_ids: "integer" },
  }),
  lookup("assignment.pools", "/assignment/pools", { properties: { pool_id: "integer" } }),
  lookup("messages.templates", "/messages/templates?limit=200", {
    paged: true,
    properties: { template_id: "integer" },
    widgets: ["messageTemplate"],
  }),
  lookup("messages.variables", "/messages/variables", {
    value_field: "placeholder",
    label_field: "label",
    widgets: ["messageVariable"],
  }),
  lookup("inflow.routes", "/inflow/routes", { hint_field: "folder", properties: { route_id: "integer", route_ids: "integer" } }),
  lookup("funnels.funnels", "/funnels", { properties: { funnel_id: "integer" } }),
  lookup("core.scenarios", "/scenarios?limit=200", { plugin: "core", paged: true, properties: { scenario_id: "integer" } }),
];

/** The test lookups of the given plugins only, as the catalog lists those of enabled plugins. */
export function lookupsOf(...plugins: string[]): CatalogLookup[] {
  return TEST_LOOKUPS.filter((l) => l.plugin === "core" || plugins.includes(l.plugin));
}
