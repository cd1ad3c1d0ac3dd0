// Where the server found a problem, said in words: its answers name fields by JSON path ("$.messages[1].text"),
// which no person should have to read. Known field names become their labels and list positions "2件目"; a field
// the console has no label for is left out (its message still says what is wrong).
import i18n from "./i18n";
import type { ApiErrorItem } from "./api";

const PART = /\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]/g;

/** "$.messages[1].text" → "メッセージ 2件目 › テキスト"; "" when no part of it has a label. `from` drops a leading
 * part the place is shown inside of already (a node's problems beside its own form: `^\$\.nodes\[\d+\]\.config`). */
export function problemPlace(path: string | undefined, from?: RegExp): string {
  if (!path || !path.startsWith("$")) return "";
  const rest = from ? path.replace(from, "$") : path;
  const words: string[] = [];
  for (const m of rest.matchAll(PART)) {
    if (m[1] !== undefined) {
      const key = `fields.${m[1]}`;
      if (i18n.exists(key)) words.push(i18n.t(key));
    } else if (words.length > 0) {
      // A position counts from one, after the list it is in (a list without a label gives it no word either).
      words[words.length - 1] += " " + i18n.t("fields.position", { n: Number(m[2]) + 1 });
    }
  }
  return words.join(" › ");
}

/** A node's own part of a scenario's path, left out where the node is named already. */
export const IN_NODE = /^\$\.nodes\[\d+\](?:\.config)?/;

/** A problem as a person reads it: where (when the console can say it) and what. */
export function problemText(problem: Pick<ApiErrorItem, "path" | "message">, from?: RegExp): string {
  const place = problemPlace(problem.path, from);
  return place ? `${place}: ${problem.message}` : problem.message;
}
