/** The plugin's name: its i18n namespace and the first part of its routes. */
export const PLUGIN = "member_cards";

/** The member number the next card gets: the prefix and the running number padded to its digits. */
export function sampleNumber(prefix: string, digits: number, next: number): string {
  return prefix + String(Math.max(next, 1)).padStart(Math.max(digits, 1), "0");
}
