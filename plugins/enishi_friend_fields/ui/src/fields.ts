// What the friend fields page knows without the page: the plugin's name, the field types and the choice
// types, and how choices typed one a line and fields by folder are read.

/** The plugin's name: its i18n namespace and the first part of its routes. */
export const PLUGIN = "friend_fields";

export const FIELD_TYPES = [
  "text",
  "number",
  "date",
  "datetime",
  "select",
  "multi_select",
  "email",
  "phone",
  "postal_address",
  "url",
  "file",
] as const;

/** The types whose values are picked from the field's choices. */
export const CHOICE_TYPES: ReadonlySet<string> = new Set(["select", "multi_select"]);

/** Choices typed one a line: trimmed, blank lines left out. */
export function parseOptions(text: string): string[] {
  return text
    .split("\n")
    .map((o) => o.trim())
    .filter(Boolean);
}

/** Fields by group, groups in name order with the ungrouped ones first. */
export function byGroup<T extends { group: string | null }>(fields: T[]): [string | null, T[]][] {
  const groups = new Map<string | null, T[]>();
  for (const f of fields) {
    const list = groups.get(f.group) ?? [];
    list.push(f);
    groups.set(f.group, list);
  }
  return [...groups.entries()].sort(([a], [b]) => (a === null ? -1 : b === null ? 1 : a.localeCompare(b, "ja")));
}
