// Server errors for forms: every problem carries the path of the field it concerns ("$.ranks[1].threshold",
// "query:reassign_to"), so it can be shown next to that field; the rest goes above the form.
import { ApiError } from "../../api";
import { localized } from "../../i18n";
import { problemText } from "../../problems";

export interface FormErrors {
  /** The error's own message, in the UI's language (null when the request succeeded). */
  message: string | null;
  /** Messages by field key: "name", "ranks.1.threshold", "actions.0.config.tag_ids.2". */
  fields: Record<string, string[]>;
}

export const NO_ERRORS: FormErrors = { message: null, fields: {} };

/** "$.ranks[1].threshold" → "ranks.1.threshold"; "query:clear" → "clear"; "$" → "". */
export function fieldKey(path: string | undefined): string {
  if (!path) return "";
  const bare = path.replace(/^(query|path|header|cookie):/, "").replace(/^\$\.?/, "");
  return bare.replace(/\[(\d+)\]/g, ".$1").replace(/^\./, "");
}

export function formErrors(error: unknown, lang: string): FormErrors {
  if (!(error instanceof ApiError)) {
    return { message: error instanceof Error ? error.message : String(error), fields: {} };
  }
  const fields: Record<string, string[]> = {};
  for (const item of error.errors) {
    const key = fieldKey(item.path);
    (fields[key] ??= []).push(localized(item.message, lang));
  }
  return { message: localized(error.message, lang), fields };
}

/** The messages of one field and of everything inside it ("actions.0" takes "actions.0.config.tag_ids"). */
export function errorsWithin(errors: FormErrors, key: string): string[] {
  const out: string[] = [];
  for (const [k, messages] of Object.entries(errors.fields)) {
    if (k === key || k.startsWith(key + ".")) out.push(...messages);
  }
  return out;
}

/** A field key as the path it came from: "ranks.1.threshold" → "$.ranks[1].threshold". */
function keyPath(key: string): string {
  return "$." + key.replace(/\.(\d+)(?=\.|$)/g, "[$1]");
}

/** Field messages whose field is not among those the form shows (they are listed with the general message), each
 * with where it is said in words, never the field's key. */
export function unplacedErrors(errors: FormErrors, shown: string[]): string[] {
  const out: string[] = [];
  for (const [k, messages] of Object.entries(errors.fields)) {
    if (!shown.some((s) => k === s || k.startsWith(s + ".")))
      out.push(...messages.map((m) => (k ? problemText({ path: keyPath(k), message: m }) : m)));
  }
  return out;
}

/** What a form lists under its error's message: the unplaced field messages, without the message itself again
 * (a lone field message is often the error's message). */
export function listedProblems(errors: FormErrors, shown: string[]): string[] {
  return unplacedErrors(errors, shown).filter((m) => m !== errors.message && !m.endsWith(`: ${errors.message}`));
}
