// Objects whose oneOf / anyOf branches only say which of the object's own fields are needed ("a staff member, a
// pool, or unassign": `{"title": …, "required": ["user_id"]}`, maybe with a `not`). RJSF draws each branch as a
// field of its own, and a branch without a type is "Unsupported field schema … Unknown field type undefined".
// For the layout, titled branches become a choice whose options carry their fields (a constant field is filled
// in and hidden: choosing "担当者を外す" is the whole answer); untitled ones, which only constrain, are left out.
// Validation keeps the schema as it is (ConfigForm), so its problems read as the server's.
import type { UiSchema, WidgetProps } from "@rjsf/utils";
import { useEffect } from "react";

type Schema = Record<string, unknown>;
const isObject = (v: unknown): v is Schema => !!v && typeof v === "object" && !Array.isArray(v);

/** A constant field of a chosen way: nothing to show, its value set as soon as the way is chosen (RJSF leaves
 * a newly chosen option's fields unset, default or not). */
export function ConstantWidget({ schema, value, onChange }: WidgetProps) {
  useEffect(() => {
    if (schema.const !== undefined && value !== schema.const) onChange(schema.const);
  }, [schema.const, value, onChange]);
  return null;
}

/** Branches that name required fields of `props` and nothing else a form could draw. */
function requiredSets(branches: unknown, props: Schema): Schema[] | null {
  if (!Array.isArray(branches) || branches.length === 0) return null;
  const named = (b: unknown) =>
    isObject(b) &&
    !("type" in b) &&
    Array.isArray(b.required) &&
    b.required.length > 0 &&
    b.required.every((n) => typeof n === "string" && n in props) &&
    Object.keys(isObject(b.properties) ? b.properties : {}).every((n) => n in props);
  return branches.every(named) ? (branches as Schema[]) : null;
}

/** The schema laid out for RJSF (see above), and the uiSchema entries hiding the constant fields it fills in. */
export function choiceLayout(schema: unknown, ui: UiSchema = {}): { schema: unknown; uiSchema: UiSchema } {
  if (!isObject(schema)) return { schema, uiSchema: ui };
  const out: Schema = { ...schema };
  const uiOut: UiSchema = { ...ui };
  const props = isObject(schema.properties) ? { ...schema.properties } : null;
  if (props) {
    for (const key of ["oneOf", "anyOf"] as const) {
      const branches = requiredSets(schema[key], props);
      if (!branches) continue;
      delete out[key];
      if (!branches.every((b) => typeof b.title === "string" || isObject(b.title))) continue;
      const moved = new Set(branches.flatMap((b) => b.required as string[]));
      out.oneOf = branches.map((b) => {
        const own: Schema = {};
        for (const name of b.required as string[]) {
          const prop = props[name] as Schema;
          own[name] = "const" in prop ? { ...prop, default: prop.const } : prop;
          if ("const" in prop) uiOut[name] = { ...(isObject(ui[name]) ? (ui[name] as UiSchema) : {}), "ui:widget": "constant" };
        }
        return { title: b.title, type: "object", properties: own, required: b.required };
      });
      for (const name of moved) delete props[name];
    }
    if (isObject(schema.not) && !("type" in schema.not)) delete out.not; // a forbidden combination: validation says so
    for (const [name, prop] of Object.entries(props)) {
      const inner = choiceLayout(prop, isObject(ui[name]) ? (ui[name] as UiSchema) : {});
      props[name] = inner.schema;
      if (Object.keys(inner.uiSchema).length) uiOut[name] = inner.uiSchema;
    }
    out.properties = props;
  }
  if (isObject(schema.items)) {
    const inner = choiceLayout(schema.items, isObject(ui.items) ? (ui.items as UiSchema) : {});
    out.items = inner.schema;
    if (Object.keys(inner.uiSchema).length) uiOut.items = inner.uiSchema;
  }
  return { schema: out, uiSchema: uiOut };
}
