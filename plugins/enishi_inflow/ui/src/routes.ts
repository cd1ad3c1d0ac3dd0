// What the inflow routes page knows without the page: the plugin's name and how routes are filed by folder.

/** The plugin's name: its i18n namespace and the first part of its routes. */
export const PLUGIN = "inflow";

/** Routes by folder, the routes without one first, folders in name order. */
export function routesByFolder<T extends { folder: string }>(routes: T[]): [string, T[]][] {
  const folders = new Map<string, T[]>();
  for (const r of routes) folders.set(r.folder, [...(folders.get(r.folder) ?? []), r]);
  return [...folders.entries()].sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b, "ja")));
}
