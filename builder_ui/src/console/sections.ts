// The operator console's areas besides the scenario builder. Each area lives in console/<area>/ with its own
// pages, components and locales; it is reached at /w/{workspace}/{key}/{rest…} and listed in the top menu.
// Plugins' UI modules add sections of their own (menuSection), reached and listed the same way.
import { lazy, type ComponentType } from "react";
import type { Contribution, MenuSectionSlot } from "../platform/contract";
import type { WorkspaceAccess } from "../types";

export interface SectionProps {
  access: WorkspaceAccess;
  /** The path after /w/{workspace}/{key}/, split at "/" (e.g. ["123"] for a friend's page). */
  rest: string[];
  /** Reads the workspace's role, permissions and enabled plugins again (after a plugin is switched on or off). */
  reloadAccess?: () => void;
}

export interface Section {
  key: string;
  /** i18n key of the menu label. */
  label: string;
  /** Shown only when the workspace role has this permission. */
  permission?: string;
  component: ComponentType<SectionProps>;
}

// Each area's code is its own chunk, loaded when the area is first opened: the first page reads only its own.
// (App draws them inside a Suspense boundary.)
const friendsSection: Section = { key: "friends", label: "friends.title", component: lazy(() => import("./friends")) };
const inboxSection: Section = { key: "inbox", label: "inbox.title", component: lazy(() => import("./inbox")) };
const broadcastsSection: Section = {
  key: "broadcasts",
  label: "broadcasts.title",
  component: lazy(() => import("./broadcasts")),
};
const reportsSection: Section = { key: "reports", label: "reports.title", component: lazy(() => import("./reports")) };
const mediaSection: Section = { key: "media", label: "media.title", component: lazy(() => import("./media")) };
const settingsSection: Section = { key: "settings", label: "settings.title", component: lazy(() => import("./settings")) };

/** Menu order: the scenario builder sits after the inbox, plugins' sections (menuSection) before the settings. */
export const SECTIONS_BEFORE_SCENARIOS: Section[] = [friendsSection, inboxSection];
export const SECTIONS_AFTER_SCENARIOS: Section[] = [broadcastsSection, mediaSection, reportsSection];
export const SECTIONS_AFTER_PLUGINS: Section[] = [settingsSection];

const BUILT_IN = [...SECTIONS_BEFORE_SCENARIOS, ...SECTIONS_AFTER_SCENARIOS, ...SECTIONS_AFTER_PLUGINS];

export function findSection(key: string): Section | undefined {
  return BUILT_IN.find((s) => s.key === key);
}

/** A plugin's section: its key must fit the console's paths and name no built-in area (the first one wins). */
export function pluginSections(contributions: Contribution<MenuSectionSlot>[]): Contribution<MenuSectionSlot>[] {
  const taken = new Set(["scenarios", ...BUILT_IN.map((s) => s.key)]);
  return contributions.filter(({ slot }) => {
    if (!/^[a-z_]+$/.test(slot.key) || taken.has(slot.key)) return false;
    taken.add(slot.key);
    return true;
  });
}

export function sectionUrl(workspaceId: number, key: string, ...rest: (string | number)[]): string {
  return [`/w/${workspaceId}/${key}`, ...rest.map((r) => encodeURIComponent(String(r)))].join("/");
}
