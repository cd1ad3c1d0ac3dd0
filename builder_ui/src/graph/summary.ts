// One line under a node's title saying what it is set to do.
import type { TFunction } from "i18next";
import { localized } from "../i18n";

type Config = Record<string, unknown>;

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

function messagesSummary(t: TFunction, c: Config, key: string): string {
  const messages = Array.isArray(c[key]) ? (c[key] as Config[]) : [];
  if (messages.length === 0) return c.template_id ? t("summary.template", { id: c.template_id }) : "";
  const first = messages[0];
  const text =
    first.type === "text"
      ? String(first.text ?? "")
      : first.type === "template"
        ? String((first.template as Config | undefined)?.text ?? first.altText ?? "")
        : String(first.type ?? "");
  const more = messages.length > 1 ? ` ${t("summary.more", { count: messages.length - 1 })}` : "";
  return `${text.slice(0, 40)}${more}`;
}

/** ``schema``: the type's config schema, for the titles of the fields shown; ``uiSchema``: its uiSchema (a type
 * that edits messages is summed up by its first message). */
export function summarize(t: TFunction, typeKey: string, c: Config, schema?: Config, lang = "ja", uiSchema?: Config): string {
  const messagesKey = messagesProperty(uiSchema);
  if (messagesKey) return messagesSummary(t, c, messagesKey);
  switch (typeKey) {
    case "core.wait_delay": {
      const d = durationText(t, c);
      return d ? t("summary.after", { duration: d }) : "";
    }
    case "core.wait_until_time":
      return typeof c.time === "string" ? t("summary.at_day", { day: n(c.days_after), time: c.time }) : "";
    default: {
      const keys = Object.keys(c).filter((k) => c[k] !== undefined && c[k] !== null && c[k] !== "");
      if (keys.length === 0) return "";
      const properties = (schema?.properties ?? {}) as Record<string, Config>;
      return keys
        .slice(0, 2)
        .map((k) => `${localized(properties[k]?.title, lang) || k}: ${shortValue(c[k])}`)
        .join(", ");
    }
  }
}

function shortValue(v: unknown): string {
  if (Array.isArray(v)) return v.length <= 3 ? v.map((x) => shortValue(x)).join("・") : `${v.length}`;
  if (v && typeof v === "object") return "…";
  return String(v).slice(0, 24);
}
