// The pages of the settings area, in menu order. The console's own pages (the workspace, its plugins, staff and
// roles) are listed here; every other page comes from the workspace's plugins: the resources of its catalog
// (drawn by the generic resource page) and the settings pages their UI modules contribute. The catalog lists
// only enabled plugins' resources, so switching a plugin off removes its pages from the menu.
import type { CatalogResource, Contribution, Localized, SettingsPageSlot } from "../../platform/contract";

export interface SettingsPage {
  key: string;
  group: "data" | "workspace";
  /** The menu's words from the plugin; null for the console's own pages (`settings.pages.<key>`). */
  title: Localized | null;
  /** Listed only for roles with this permission. */
  permission?: string;
  /** A resource of the catalog, drawn by the generic page (unless a contribution of the same key replaces it). */
  resource?: CatalogResource;
  /** A page a plugin's UI module coded. */
  contribution?: Contribution<SettingsPageSlot>;
}

const CONSOLE_PAGES: SettingsPage[] = [
  ...(["workspace", "plugins", "staff", "roles"] as const).map((key) => ({ key, group: "workspace" as const, title: null })),
  { key: "audit", group: "workspace", title: null, permission: "core.read_audit" },
];

const LAST = Number.MAX_SAFE_INTEGER;

/** The menu: the plugins' data pages by order, the console's own pages, then the plugins' workspace pages.
 * A coded page with a resource's key stands in for that resource's generic page. */
export function settingsPages(
  resources: readonly CatalogResource[],
  contributions: readonly Contribution<SettingsPageSlot>[],
  permissions: readonly string[],
): SettingsPage[] {
  const fromPlugins: (SettingsPage & { order: number })[] = resources.map((r) => ({
    key: r.name,
    group: r.group,
    title: r.title,
    order: r.order,
    resource: r,
  }));
  for (const c of contributions) {
    const page = {
      key: c.slot.key,
      group: c.slot.group,
      title: c.slot.title,
      order: c.slot.order ?? LAST,
      permission: c.slot.permission,
      contribution: c,
    };
    const same = fromPlugins.findIndex((p) => p.key === page.key);
    if (same >= 0) fromPlugins[same] = { ...page, resource: fromPlugins[same].resource };
    else fromPlugins.push(page);
  }
  const listed = fromPlugins
    .filter((p) => !p.permission || permissions.includes(p.permission))
    .sort((a, b) => a.order - b.order)
    .map(({ order: _order, ...page }) => page as SettingsPage);
  return [
    ...listed.filter((p) => p.group === "data"),
    ...CONSOLE_PAGES.filter((p) => !p.permission || permissions.includes(p.permission)),
    ...listed.filter((p) => p.group === "workspace"),
  ];
}

export type PageChoice =
  /** `rest`: the path below the page (a coded page's own). */
  | { state: "page"; page: SettingsPage; rest: string[] }
  /** The catalog is still being read: the named page may be one of its plugins'. */
  | { state: "loading" }
  /** The path names no page listed: a page of a plugin switched off (or never there). */
  | { state: "hidden" };

/** A page's path below /w/{id}/settings/: a resource's "<plugin>.<name>" as "<plugin>/<name>", since the server
 * takes a last path segment with a dot in it for a file (and answers 404 on a reload). */
export function pagePath(key: string): string[] {
  return key.split(".");
}

/** What has been read of the workspace's plugins: its catalog (resources), and its UI modules (coded pages). */
export interface PluginsRead {
  catalog: boolean;
  modules: boolean;
  /** Plugins with a UI module in the catalog: until it is read, their resources' generic pages wait (the module
   * may bring a coded page of the same key, which would replace the generic one a moment later). */
  withModules?: readonly string[];
}

/** The page the path names (as `pagePath` writes it, or its key whole), else the first one listed. A page the
 * path names that is not listed may still come with the catalog or a UI module: until both are read, it loads. */
export function pageFor(pages: readonly SettingsPage[], rest: readonly string[], read: PluginsRead): PageChoice {
  const settled = (page: SettingsPage, below: string[]): PageChoice =>
    !read.modules && page.resource && !page.contribution && read.withModules?.includes(page.resource.plugin)
      ? { state: "loading" }
      : { state: "page", page, rest: below };
  // The longest key wins: a plugin's page "probe" must not take /settings/probe/greetings, its resource's page.
  for (let n = rest.length; n >= 1; n--) {
    const named = pages.find((p) => p.key === rest.slice(0, n).join("."));
    if (named) return settled(named, rest.slice(n));
  }
  if (!read.catalog || (rest.length && !read.modules)) return { state: "loading" };
  if (rest.length) return { state: "hidden" };
  return settled(pages[0], []);
}
