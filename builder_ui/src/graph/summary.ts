// One line under a node's title saying what it is set to do, in words: the labels of fixed values and the names of
// the workspace's data (tags, staff …), never a raw value or an id.
import type { TFunction } from "i18next";
import { choiceTitles } from "../forms/schema";
import { localized } from "../i18n";

type Config = Record<string, unknown>;

/** For each property that names the workspace's data through a lookup, its rows' labels by value (null while the
 * lookup loads): ids are shown by these names, or counted when a name is not known. */
export type SummaryNames = Record<string, ReadonlyMap<unknown, string> | null>;

/** A property that holds ids even where no lookup claims it (`tag_id`, `mark_ids` …): counted, never shown. */
const ID_PROPERTY = /(^|_)ids?$/;

const n = (v: unknown) => (typeof v === "number" ? v : 0);

export function durationText(t: TFunction, c: Config): string {
  const parts: string[] = [];
  if (n(c.days)) parts.push(t("summary.days", { count: n(c.days) }));
  if (n(c.hours)) parts.push(t("summary.hours", { count: n(c.hours) }));
  if (n(c.minutes)) parts.push(t("summary.minutes", { count: n(c.minutes) }));
  return parts.join(" ");
}

/** The property a node type edits with the message editor (its uiSchema's `"ui:field": "lineMessages"`). */
export function messagesProperty(uiSchema?: Config): string | null {
  for (const [key, ui] of Object.entries(uiSchema ?? {})) {
    if (ui && typeof ui === "object" && (ui as Config)["ui:field"] === "lineMessages") return key;
  }
  return null;
}

function messagesSummary(t: TFunction, c: Config, key: string, names: SummaryNames): string {
  const messages = Array.isArray(c[key]) ? (c[key] as Config[]) : [];
  if (messages.length === 0) {
    if (c.template_id === undefined || c.template_id === null || c.template_id === "") return "";
    const name = names.template_id?.get(c.template_id);
    return name ? t("summary.template", { name }) : t("summary.a_template");
  }
  const first = messages[0];
  const text =
    first.type === "text"
      ? String(first.text ?? "")
      : first.type === "template"
        ? String((first.template as Config | undefined)?.text ?? first.altText ?? "")
        : t(`summary.message.${String(first.type)}`, { defaultValue: t("summary.message.other") });
  const more = messages.length > 1 ? ` ${t("summary.more", { count: messages.length - 1 })}` : "";
  return `${text.slice(0, 40)}${more}`;
}

/** ``schema``: the type's config schema, for the titles of the fields shown and the labels of their values;
 * ``uiSchema``: its uiSchema (a type that edits messages is summed up by its first message); ``names``: the names
 * of the ids its properties hold (see `SummaryNames`). */
export function summarize(
  t: TFunction,
  typeKey: string,
  c: Config,
  schema?: Config,
  lang = "ja",
  uiSchema?: Config,
  names: SummaryNames = {},
  typeLabels: ReadonlyMap<string, string> = new Map(),
): string {
  const messagesKey = messagesProperty(uiSchema);
  if (messagesKey) return messagesSummary(t, c, messagesKey, names);
  switch (typeKey) {
    case "core.wait_delay": {
      const d = durationText(t, c);
      return d ? t("summary.after", { duration: d }) : "";
    }
    case "core.wait_until_time":
      return typeof c.time === "string" ? t("summary.at_day", { day: n(c.days_after), time: c.time }) : "";
    default: {
      const properties = (schema?.properties ?? {}) as Record<string, Config>;
      const shown = (k: string) => c[k] !== undefined && c[k] !== null && c[k] !== "" && !(Array.isArray(c[k]) && !(c[k] as unknown[]).length);
      // In the order the form shows them, then anything else the config holds.
      const keys = [...new Set([...Object.keys(properties), ...Object.keys(c)])].filter((k) => k in c && shown(k));
      return keys
        .slice(0, 2)
        .map((k) => {
          const title = localized(properties[k]?.title, lang);
          const value = valueText(t, k, c[k], properties[k], lang, names, typeLabels);
          return title ? `${title}: ${value}` : value;
        })
        .join(", ");
    }
  }
}

/** A value in words: a choice's label, the names of ids (or how many), yes / no, a short text or number. */
function valueText(
  t: TFunction,
  key: string,
  v: unknown,
  prop: Config | undefined,
  lang: string,
  names: SummaryNames,
  typeLabels: ReadonlyMap<string, string>,
): string {
  if (v && typeof v === "object" && !Array.isArray(v)) {
    const o = v as Config;
    // another node type set up inside this one (the event a wait waits for): that type's name
    if (typeof o.type === "string" && "config" in o) return typeLabels.get(o.type) ?? "…";
    const d = durationText(t, o);
    return d || "…";
  }
  const list = Array.isArray(v) ? v : [v];
  if (key in names || ID_PROPERTY.test(key)) {
    const known = names[key];
    const named = list.map((x) => known?.get(x));
    return named.every((x) => x !== undefined) && list.length <= 3 ? named.join("・") : t("summary.count", { count: list.length });
  }
  const titles = choiceTitles(prop, lang);
  if (titles.size && list.every((x) => titles.has(x))) {
    return list.length <= 3 ? list.map((x) => titles.get(x)).join("・") : t("summary.count", { count: list.length });
  }
  if (Array.isArray(v)) return v.length <= 3 ? v.map((x) => shortValue(t, x)).join("・") : t("summary.count", { count: v.length });
  return shortValue(t, v);
}

function shortValue(t: TFunction, v: unknown): string {
  if (typeof v === "boolean") return t(v ? "summary.yes" : "summary.no");
  if (v && typeof v === "object") return "…";
  return String(v).slice(0, 24);
}
