// The pages of the settings area, in menu order. A page that belongs to a plugin is listed only while the
// plugin is on in the workspace, so switching a plugin off removes its page from the menu.
import type { WorkspaceAccess } from "../../types";

export interface SettingsPage {
  key: string;
  /** Listed only while this plugin is enabled in the workspace. */
  plugin?: string;
  /** Listed only for roles with this permission. */
  permission?: string;
  group: "data" | "workspace";
}

export const SETTINGS_PAGES: SettingsPage[] = [
  { key: "tags", plugin: "tags", group: "data" },
  { key: "marks", plugin: "response_marks", group: "data" },
  { key: "fields", plugin: "friend_fields", group: "data" },
  { key: "inflow", plugin: "inflow", group: "data" },
  { key: "pools", plugin: "assignment", group: "data" },
  { key: "member_card", plugin: "member_cards", group: "data" },
  { key: "workspace", group: "workspace" },
  { key: "plugins", group: "workspace" },
  { key: "staff", group: "workspace" },
  { key: "roles", group: "workspace" },
];

export function visiblePages(access: Pick<WorkspaceAccess, "enabled_plugins" | "permissions">): SettingsPage[] {
  return SETTINGS_PAGES.filter(
    (p) =>
      (!p.plugin || access.enabled_plugins.includes(p.plugin)) &&
      (!p.permission || access.permissions.includes(p.permission)),
  );
}

/** The page the path names, else the first one listed (a page of a switched-off plugin is not shown). */
export function pageFor(
  access: Pick<WorkspaceAccess, "enabled_plugins" | "permissions">,
  rest: string[],
): { page: SettingsPage; hidden: boolean } {
  const visible = visiblePages(access);
  const named = SETTINGS_PAGES.find((p) => p.key === rest[0]);
  if (named && !visible.includes(named)) return { page: named, hidden: true };
  return { page: named ?? visible[0], hidden: false };
}
