// Preparing a node type's JSON Schema for a form: texts in the current language, combinators that only
// constrain (the server checks them) left out of the layout, and the pickers chosen by the registry.
import type { UiSchema } from "@rjsf/utils";
import { localized } from "../i18n";
import { pickerFor } from "./pickers";

type Schema = Record<string, unknown>;

const isObject = (v: unknown): v is Schema => !!v && typeof v === "object" && !Array.isArray(v);

/** Titles and descriptions written "日本語 / English" become one language. */
export function localizeSchema(schema: unknown, lang: string): unknown {
  if (Array.isArray(schema)) return schema.map((s) => localizeSchema(s, lang));
  if (!isObject(schema)) return schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(schema)) {
    if ((k === "title" || k === "description") && typeof v === "string") out[k] = localized(v, lang);
    else if (k === "enum" || k === "const" || k === "default" || k === "examples") out[k] = v;
    else out[k] = localizeSchema(v, lang);
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

/** The plugin's uiSchema, with pickers for properties the registry recognises and no submit button. */
export function decorateUiSchema(schema: unknown, uiSchema: Record<string, unknown>): UiSchema {
  const ui: UiSchema = { ...(uiSchema as UiSchema) };
  ui["ui:submitButtonOptions"] = { norender: true };
  addPickers(schema, ui);
  return ui;
}

function addPickers(schema: unknown, ui: UiSchema): void {
  if (!isObject(schema) || !isObject(schema.properties)) return;
  for (const [name, prop] of Object.entries(schema.properties)) {
    if (!isObject(prop)) continue;
    const own = (isObject(ui[name]) ? { ...(ui[name] as Schema) } : {}) as UiSchema;
    const options = (isObject(own["ui:options"]) ? own["ui:options"] : {}) as Record<string, unknown>;
    const picker = pickerFor(name, prop, typeof options.lookup === "string" ? options.lookup : undefined);
    if (picker && !own["ui:widget"] && !own["ui:field"]) {
      own["ui:widget"] = "lookup";
      own["ui:options"] = { ...options, lookup: picker, multiple: prop.type === "array" };
    }
    if (prop.type === "object") addPickers(prop, own);
    if (Object.keys(own).length) ui[name] = own;
  }
}
