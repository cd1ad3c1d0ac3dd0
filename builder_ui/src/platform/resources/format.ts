// How a resource's rows read in its list and travel to and from its form: cells by their column's format, the
// choices of an enum by their titles (never the raw value), the form's data out of a row, the body of a change,
// and the server's field errors where RJSF shows them.
import type { ErrorSchema } from "@rjsf/utils";
import { localized } from "../../i18n";
import type { CatalogResource } from "../contract";

type Schema = Record<string, unknown>;
const isObject = (v: unknown): v is Schema => !!v && typeof v === "object" && !Array.isArray(v);

/** Below /api/workspaces/{id}: the list's path with `after` for the next page. */
export function pageUrl(path: string, after: string | null): string {
  if (!after) return path;
  return `${path}${path.includes("?") ? "&" : "?"}after=${encodeURIComponent(after)}`;
}

/** Where a new row is sent: the list's path without its query. */
export function createUrl(resource: CatalogResource): string {
  return resource.path.split("?")[0];
}

/** Where one row is changed or removed. */
export function itemUrl(resource: CatalogResource, row: Record<string, unknown>): string {
  return resource.item_path.replace("{id}", encodeURIComponent(String(row[resource.id_field])));
}

/** The rows of a list's answer, and the cursor of its next page (null on the last page or when not paged). */
export function readPage(resource: CatalogResource, data: unknown): { rows: Record<string, unknown>[]; next: string | null } {
  if (resource.paged && isObject(data)) {
    return { rows: (data.items as Record<string, unknown>[]) ?? [], next: (data.next as string | null) ?? null };
  }
  return { rows: Array.isArray(data) ? (data as Record<string, unknown>[]) : [], next: null };
}

/** The titles of a property's choices by value: `oneOf`/`anyOf` of `const` with a `title`, or `enum` with
 * `ui:enumNames` in the uiSchema. */
export function choiceTitles(resource: CatalogResource, field: string, lang: string): Map<unknown, string> {
  const out = new Map<unknown, string>();
  const props = isObject(resource.schema.properties) ? resource.schema.properties : {};
  let prop = props[field];
  if (isObject(prop) && prop.type === "array" && isObject(prop.items)) prop = prop.items;
  if (!isObject(prop)) return out;
  for (const key of ["oneOf", "anyOf"]) {
    const branches = prop[key];
    if (!Array.isArray(branches)) continue;
    for (const b of branches) if (isObject(b) && "const" in b && b.title !== undefined) out.set(b.const, localized(b.title, lang));
  }
  const ui = resource.ui_schema[field];
  const names = isObject(ui) ? ui["ui:enumNames"] : undefined;
  if (Array.isArray(prop.enum) && Array.isArray(names)) {
    prop.enum.forEach((v, n) => names[n] !== undefined && out.set(v, localized(names[n], lang)));
  }
  return out;
}

/** A date-time in the person's language, or "" for a value that is none. */
export function formatDateTime(value: unknown, lang: string, timeZone?: string): string {
  if (typeof value !== "string" && typeof value !== "number") return "";
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) return "";
  return new Intl.DateTimeFormat(lang === "en" ? "en" : "ja-JP", { dateStyle: "medium", timeStyle: "short", timeZone }).format(at);
}

export function formatNumber(value: unknown, lang: string): string {
  return typeof value === "number" ? value.toLocaleString(lang === "en" ? "en" : "ja-JP") : "";
}

/** A text cell: a choice's title for an enum value, lists joined, nothing for objects. */
export function formatText(value: unknown, titles: Map<unknown, string>, lang: string): string {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.map((v) => formatText(v, titles, lang)).filter(Boolean).join(lang === "en" ? ", " : "、");
  if (titles.has(value)) return titles.get(value)!;
  if (isObject(value)) return localized(value, lang);
  return String(value);
}

/** The form's data for a row: only what the schema has fields for, at every depth (ids, counts and names the
 * list shows beside a member's id stay out). */
export function formDataOf(resource: CatalogResource, row: Record<string, unknown>): Record<string, unknown> {
  return (withinSchema(resource.schema, row) ?? {}) as Record<string, unknown>;
}

function withinSchema(schema: unknown, value: unknown): unknown {
  if (!isObject(schema)) return value;
  if (Array.isArray(value)) return isObject(schema.items) ? value.map((v) => withinSchema(schema.items, v)) : value;
  if (!isObject(value) || !isObject(schema.properties)) return value;
  const props = schema.properties;
  return Object.fromEntries(Object.keys(props).filter((k) => k in value).map((k) => [k, withinSchema(props[k], value[k])]));
}

/** The body of a change: everything for PUT, only what differs from the row for PATCH. */
export function changeBody(
  method: "patch" | "put",
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): Record<string, unknown> {
  if (method === "put") return after;
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  return Object.fromEntries(Object.entries(after).filter(([k, v]) => !same(before[k], v)));
}

/** The server's messages by field key ("members.0.weight") as RJSF's error tree. */
export function errorSchemaOf(fields: Record<string, string[]>): ErrorSchema {
  const root: Schema = {};
  for (const [key, messages] of Object.entries(fields)) {
    if (!key) continue;
    let node = root;
    for (const part of key.split(".")) node = (node[part] ??= {}) as Schema;
    node.__errors = [...((node.__errors as string[] | undefined) ?? []), ...messages];
  }
  return root as ErrorSchema;
}

/** Messages of no field the form shows (the form as a whole, or a field it does not have): said above it,
 * without their path. */
export function looseErrors(fields: Record<string, string[]>, shown: string[]): string[] {
  return Object.entries(fields)
    .filter(([k]) => !shown.includes(k.split(".")[0]))
    .flatMap(([, messages]) => messages);
}

const JAPANESE = /[\u3040-\u30ff\u3400-\u9fff]/;

/** In Japanese, a lone field message the server wrote only in English gives way to the error's own message when
 * that one is Japanese (it says the same thing: "already taken" → "同じ名前の定型文が既にあります"), which is then
 * shown at the field only. */
export function inPlainJapanese(
  errors: { message: string | null; fields: Record<string, string[]> },
  lang: string,
  shown: string[],
): { message: string | null; fields: Record<string, string[]> } {
  const entries = Object.entries(errors.fields);
  if (lang !== "ja" || !errors.message || !JAPANESE.test(errors.message) || entries.length !== 1) return errors;
  const [[key, messages]] = entries;
  if (messages.length !== 1 || JAPANESE.test(messages[0]) || !shown.includes(key.split(".")[0])) return errors;
  return { message: null, fields: { [key]: [errors.message] } };
}
