// A report's parameter schema prepared for its form: pickers where the registry knows the data, a condition
// editor for {type, config} objects, the saved-segment picker for segments, a starting period, and parameters
// pruned to what the schema allows before they are sent.
import type { UiSchema } from "@rjsf/utils";
import { decorateUiSchema } from "../../forms/schema";
import { pickerFor } from "../../forms/pickers";
import type { CatalogLookup } from "../../platform/contract";

type Schema = Record<string, unknown>;
const isObject = (v: unknown): v is Schema => !!v && typeof v === "object" && !Array.isArray(v);

/** An object naming a registered condition: {type: "tags.has_tags", config: {…}} (label, type_version optional). */
export function isConditionSchema(schema: unknown): boolean {
  if (!isObject(schema) || !isObject(schema.properties)) return false;
  const props = schema.properties;
  return isObject(props.type) && props.type.type === "string" && isObject(props.config) && props.config.type === "object";
}

/** A segment of friends: a property "segment" that is an object the form cannot lay out by itself. */
export function isSegmentSchema(name: string, schema: unknown): boolean {
  return name === "segment" && isObject(schema) && schema.type === "object" && !isObject(schema.properties);
}

/** The objects a schema's properties may come from: itself and the branches of its allOf (if / then / else). */
function layers(schema: Schema): Schema[] {
  const out = [schema];
  for (const branch of Array.isArray(schema.allOf) ? schema.allOf : []) {
    if (!isObject(branch)) continue;
    out.push(branch);
    if (isObject(branch.then)) out.push(branch.then);
    if (isObject(branch.else)) out.push(branch.else);
  }
  return out;
}

function decorate(schema: unknown, ui: UiSchema, lookups: readonly CatalogLookup[]): void {
  if (!isObject(schema)) return;
  for (const layer of layers(schema)) {
    if (!isObject(layer.properties)) continue;
    for (const [name, prop] of Object.entries(layer.properties)) {
      if (!isObject(prop)) continue;
      const own = (isObject(ui[name]) ? { ...(ui[name] as Schema) } : {}) as UiSchema;
      const options = (isObject(own["ui:options"]) ? own["ui:options"] : {}) as Record<string, unknown>;
      const free = !own["ui:widget"] && !own["ui:field"];
      if (free && isSegmentSchema(name, prop)) own["ui:field"] = "segment";
      else if (free && isConditionSchema(prop)) own["ui:field"] = "condition";
      else if (prop.type === "array" && isObject(prop.items)) {
        const items = (isObject(own.items) ? { ...(own.items as Schema) } : {}) as UiSchema;
        if (isConditionSchema(prop.items) && !items["ui:field"]) items["ui:field"] = "condition";
        else decorate(prop.items, items, lookups);
        if (Object.keys(items).length) own.items = items;
      }
      const named = typeof options.lookup === "string" ? options.lookup : undefined;
      const picker = free ? pickerFor(name, prop, named, lookups) : null;
      if (picker) {
        own["ui:widget"] = "lookup";
        own["ui:options"] = { ...options, lookup: picker, multiple: prop.type === "array" };
      }
      if (prop.type === "object" && !own["ui:field"]) decorate(prop, own, lookups);
      if (Object.keys(own).length) ui[name] = own;
    }
  }
}

/** The report's uiSchema with the pickers (of the workspace's `lookups`) and fields above (the plugin's own hints win). */
export function reportUiSchema(
  schema: unknown,
  uiSchema: Record<string, unknown>,
  lookups: readonly CatalogLookup[] = [],
): UiSchema {
  const ui = decorateUiSchema(schema, uiSchema, lookups);
  decorate(schema, ui, lookups);
  return ui;
}

const isoDay = (d: Date) =>
  `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;

/** Parameters to start from: a required period "from"/"to" of dates is the last 30 days up to today. */
export function initialParams(schema: unknown, today: Date = new Date()): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isObject(schema) || !isObject(schema.properties)) return out;
  const required = Array.isArray(schema.required) ? schema.required : [];
  const props = schema.properties;
  const isDate = (p: unknown) => isObject(p) && p.format === "date";
  if (isDate(props.from) && isDate(props.to) && (required.includes("from") || required.includes("to"))) {
    const start = new Date(today);
    start.setDate(start.getDate() - 29);
    out.from = isoDay(start);
    out.to = isoDay(today);
  }
  return out;
}

function matches(condition: unknown, data: Schema): boolean {
  // Only the "if" the forms meet: properties with a const or an enum.
  if (!isObject(condition) || !isObject(condition.properties)) return false;
  return Object.entries(condition.properties).every(([k, p]) => {
    if (!isObject(p)) return true;
    if ("const" in p) return data[k] === p.const;
    if (Array.isArray(p.enum)) return p.enum.includes(data[k]);
    return true;
  });
}

/**
 * The parameters without what a closed object does not allow: values a form keeps after its choice changed
 * (the tags of a dimension switched to marks) would otherwise be refused by the server. Empty values of optional
 * properties are left out too.
 */
export function pruneParams(schema: unknown, data: unknown): unknown {
  if (Array.isArray(data)) {
    const items = isObject(schema) ? schema.items : undefined;
    return data.map((d) => pruneParams(items, d));
  }
  if (!isObject(data) || !isObject(schema)) return data;
  const { props, closed } = resolved(schema, data);
  const open = !closed || Object.keys(props).length === 0;
  const out: Schema = {};
  for (const [k, v] of Object.entries(data)) {
    if (v === undefined || v === "") continue;
    if (k in props) out[k] = pruneParams(props[k], v);
    else if (open) out[k] = v;
  }
  return out;
}

/** The properties an object may have given its data (allOf branches whose "if" it meets), and whether it is closed. */
function resolved(schema: Schema, data: Schema): { props: Schema; closed: boolean } {
  const props: Schema = {};
  let closed = schema.additionalProperties === false;
  for (const layer of [schema, ...(Array.isArray(schema.allOf) ? schema.allOf : [])]) {
    if (!isObject(layer)) continue;
    let source: unknown = layer;
    if ("if" in layer) source = matches(layer.if, data) ? layer.then : layer.else;
    if (!isObject(source)) continue;
    if (source.additionalProperties === false) closed = true;
    if (isObject(source.properties)) Object.assign(props, source.properties);
  }
  return { props, closed };
}

export type OptionsOf = (lookup: string) => Promise<{ value: string | number; label: string }[]>;

/**
 * Buckets named after what was picked: where an object takes "labels" beside a list picked from a lookup
 * ({tag_ids: [3, 5]}), the labels left empty become the names of the picked items, so that a report which cannot
 * read another plugin's data shows "VIP" rather than "タグ 3".
 */
export async function withPickedLabels(
  schema: unknown,
  data: unknown,
  optionsOf: OptionsOf,
  lookups: readonly CatalogLookup[] = [],
): Promise<unknown> {
  if (Array.isArray(data)) {
    const items = isObject(schema) ? schema.items : undefined;
    return Promise.all(data.map((d) => withPickedLabels(items, d, optionsOf, lookups)));
  }
  if (!isObject(data) || !isObject(schema)) return data;
  const { props } = resolved(schema, data);
  const out: Schema = {};
  for (const [k, v] of Object.entries(data)) out[k] = await withPickedLabels(props[k], v, optionsOf, lookups);
  const labels = props.labels;
  const given = Array.isArray(out.labels) ? (out.labels as unknown[]) : [];
  if (!isObject(labels) || labels.type !== "array" || given.some((l) => typeof l === "string" && l !== "")) return out;
  for (const [k, v] of Object.entries(out)) {
    const lookup = Array.isArray(v) && isObject(props[k]) ? pickerFor(k, props[k] as Schema, undefined, lookups) : null;
    if (!lookup) continue;
    const options = await optionsOf(lookup).catch(() => []);
    const names = (v as unknown[]).map((id) => options.find((o) => o.value === id)?.label ?? "");
    if (names.some(Boolean)) out.labels = names;
    break;
  }
  return out;
}

/**
 * Defaults declared inside allOf branches (the form lays the branch's fields out but leaves their defaults
 * unset): filled in where the data meets the branch and has no value yet, so a checkbox shows what the server
 * will assume.
 */
export function withBranchDefaults(schema: unknown, data: unknown): unknown {
  if (Array.isArray(data)) {
    const items = isObject(schema) ? schema.items : undefined;
    return data.map((d) => withBranchDefaults(items, d));
  }
  if (!isObject(data) || !isObject(schema)) return data;
  const { props } = resolved(schema, data);
  const out: Schema = {};
  for (const [k, v] of Object.entries(data)) out[k] = withBranchDefaults(props[k], v);
  for (const [k, p] of Object.entries(props)) {
    if (out[k] === undefined && isObject(p) && "default" in p) out[k] = p.default;
  }
  return out;
}
