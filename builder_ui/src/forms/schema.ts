// Preparing a node type's JSON Schema for a form: texts in the current language, combinators that only
// constrain (the server checks them) left out of the layout, and the pickers chosen by the registry.
import type { UiSchema } from "@rjsf/utils";
import { localized } from "../i18n";
import type { CatalogLookup } from "../platform/contract";
import { pickerFor } from "./pickers";

type Schema = Record<string, unknown>;

const isObject = (v: unknown): v is Schema => !!v && typeof v === "object" && !Array.isArray(v);
const isLocalized = (v: unknown) =>
  isObject(v) && Object.keys(v).length > 0 && Object.values(v).every((x) => typeof x === "string") && ("ja" in v || "en" in v);

/** Titles and descriptions written "日本語 / English" (or as {"ja": …, "en": …}) become one language. */
export function localizeSchema(schema: unknown, lang: string): unknown {
  if (Array.isArray(schema)) return schema.map((s) => localizeSchema(s, lang));
  if (!isObject(schema)) return schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(schema)) {
    if ((k === "title" || k === "description") && (typeof v === "string" || isLocalized(v))) out[k] = localized(v, lang);
    else if (k === "enum" || k === "const" || k === "default" || k === "examples") out[k] = v;
    else out[k] = localizeSchema(v, lang);
  }
  return out;
}

/** The labels of a property's fixed values by value (for an array, of its items' values): the titles of its
 * `oneOf` / `anyOf` of `const`, in the UI's language. Empty for a property without labelled choices. */
export function choiceTitles(prop: unknown, lang: string): Map<unknown, string> {
  const out = new Map<unknown, string>();
  if (!isObject(prop)) return out;
  const own = prop.type === "array" && isObject(prop.items) ? prop.items : prop;
  for (const key of ["oneOf", "anyOf"]) {
    const branches = own[key];
    if (!Array.isArray(branches)) continue;
    for (const b of branches) {
      if (isObject(b) && "const" in b && b.title !== undefined) out.set(b.const, localized(b.title as string, lang));
    }
  }
  return out;
}

/** anyOf / oneOf whose branches have no titles only say which fields are needed: a form cannot show them
 * as choices, so they are dropped for the layout (the server still checks them and reports the problem). */
export function formSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(formSchema);
  if (!isObject(schema)) return schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(schema)) {
    if ((k === "anyOf" || k === "oneOf") && Array.isArray(v) && v.every((b) => isObject(b) && !("title" in b))) {
      if (!("type" in schema) && !("properties" in schema)) out[k] = formSchema(v);
      continue;
    }
    out[k] = formSchema(v);
  }
  return out;
}

/** The plugin's uiSchema, with pickers for properties the workspace's lookups claim and no submit button. */
export function decorateUiSchema(
  schema: unknown,
  uiSchema: Record<string, unknown>,
  lookups: readonly CatalogLookup[] = [],
): UiSchema {
  const ui: UiSchema = { ...(uiSchema as UiSchema) };
  ui["ui:submitButtonOptions"] = { norender: true };
  addPickers(schema, ui, lookups);
  return ui;
}

function addPickers(schema: unknown, ui: UiSchema, lookups: readonly CatalogLookup[]): void {
  if (!isObject(schema) || !isObject(schema.properties)) return;
  for (const [name, prop] of Object.entries(schema.properties)) {
    if (!isObject(prop)) continue;
    const own = (isObject(ui[name]) ? { ...(ui[name] as Schema) } : {}) as UiSchema;
    const options = (isObject(own["ui:options"]) ? own["ui:options"] : {}) as Record<string, unknown>;
    const picker = pickerFor(name, prop, typeof options.lookup === "string" ? options.lookup : undefined, lookups);
    if (picker && !own["ui:widget"] && !own["ui:field"]) {
      own["ui:widget"] = "lookup";
      own["ui:options"] = { ...options, lookup: picker, multiple: prop.type === "array" };
    }
    if (prop.type === "object") addPickers(prop, own, lookups);
    if (prop.type === "array" && isObject(prop.items) && prop.items.type === "object" && !own["ui:field"]) {
      // a list of objects ({user_id, weight} …): their fields get pickers too
      const items = (isObject(own.items) ? { ...(own.items as Schema) } : {}) as UiSchema;
      addPickers(prop.items, items, lookups);
      if (Object.keys(items).length) own.items = items;
    }
    if (Object.keys(own).length) ui[name] = own;
  }
}
