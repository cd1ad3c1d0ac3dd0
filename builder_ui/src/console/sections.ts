// The operator console's areas besides the scenario builder. Each area lives in console/<area>/ with its own
// pages, components and locales; it is reached at /w/{workspace}/{key}/{rest…} and listed in the top menu.
import type { ComponentType } from "react";
import type { WorkspaceAccess } from "../types";
import { broadcastsSection } from "./broadcasts";
import { friendsSection } from "./friends";
import { inboxSection } from "./inbox";
import { reportsSection } from "./reports";
import { settingsSection } from "./settings";

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

/** Menu order: the scenario builder sits after the inbox. */
export const SECTIONS_BEFORE_SCENARIOS: Section[] = [friendsSection, inboxSection];
export const SECTIONS_AFTER_SCENARIOS: Section[] = [broadcastsSection, reportsSection, settingsSection];

export function findSection(key: string): Section | undefined {
  return [...SECTIONS_BEFORE_SCENARIOS, ...SECTIONS_AFTER_SCENARIOS].find((s) => s.key === key);
}

export function sectionUrl(workspaceId: number, key: string, ...rest: (string | number)[]): string {
  return [`/w/${workspaceId}/${key}`, ...rest.map((r) => encodeURIComponent(String(r)))].join("/");
}
