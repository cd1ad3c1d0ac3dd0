// The friend's values as one form: the node-type-like form definition the console's ConfigForm draws, built from
// the fields' value schemas, and what changed between the stored values and the form.
import type { NodeTypeDef } from "@enishi/plugin-ui";
import { PLUGIN } from "./fields";

export interface FieldDef {
  key: string;
  label: string;
  label_en: string;
  type: string;
  required: boolean;
  description: string;
  value_schema: Record<string, unknown>;
}

/** The friend's fields as one form generated from each field's value schema; file fields are left out. */
export function fieldsFormType(fields: FieldDef[], lang: string): NodeTypeDef {
  const properties: Record<string, unknown> = {};
  for (const f of fields) {
    if (f.type === "file") continue;
    const title = lang === "en" && f.label_en ? f.label_en : f.label;
    const schema: Record<string, unknown> = { ...f.value_schema, title, ...(f.description ? { description: f.description } : {}) };
    // Empty is allowed in the form: an emptied field is cleared (null) when saved.
    const types = ([] as unknown[]).concat(schema.type ?? []);
    properties[f.key] = types.length && !types.includes("null") ? { ...schema, type: [...types, "null"] } : schema;
  }
  return {
    key: `${PLUGIN}.values`,
    kind: "action",
    version: 1,
    plugin: PLUGIN,
    label: { ja: "友だち情報" },
    description: null,
    config_schema: { type: "object", properties },
    ui_schema: {},
    inputs: [],
    outputs: [],
    allowed_targets: null,
    deprecated: false,
  };
}

/** What changed between the stored values and the form: new values, and null for cleared ones. */
export function changedValues(stored: Record<string, unknown>, form: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const keys = new Set([...Object.keys(stored), ...Object.keys(form)]);
  for (const key of keys) {
    const before = stored[key] ?? null;
    let after = form[key] ?? null;
    if (after === "" || (Array.isArray(after) && after.length === 0)) after = null;
    if (JSON.stringify(before) !== JSON.stringify(after)) out[key] = after;
  }
  return out;
}
