// The console's runtime a plugin panel uses: the API client, the workspace's catalog, texts in the UI's
// language, links inside the console, and the labelled fields with server errors the settings pages use.
export { api, ApiError, errorText, workspaceUrl, type ApiErrorItem } from "../../../src/api";
export { localized } from "../../../src/i18n";
// A time as the console shows one, in the workspace's time zone (a friend panel's `timezone`).
export { formatTime } from "../../../src/console/friends/types";
export { useCatalog, type WorkspaceCatalog } from "../../../src/platform/catalog";
// For a plugin's tests: what its module's registration puts in each slot, as the console runs it.
export { registered } from "../../../src/platform/modules";
// A friend's one choice out of the workspace's list (a mark, an assignee) as a friend panel.
export { FriendChoicePanel, type FriendChoicePanelProps } from "../../../src/platform/FriendChoicePanel";
// Moving inside the console: links and useNavigate in components, navigate(path) outside them.
export { Link, NavLink, useNavigate } from "react-router";
export { navigate } from "../../../src/router";
export { Field, FieldErrors, FormProblems, useSubmit } from "../../../src/console/settings/ui";
// An antd Table's accessible name: `components={useNamedTable(label)}` (antd draws the <table> itself).
export { useNamedTable } from "../../../src/components/tables";
export type { FormErrors } from "../../../src/console/settings/errors";

/** The console's address of a workspace's area: consoleUrl(3, "friends", 12) → "/w/3/friends/12". */
export function consoleUrl(workspaceId: number, key: string, ...rest: (string | number)[]): string {
  return [`/w/${workspaceId}/${key}`, ...rest.map((r) => encodeURIComponent(String(r)))].join("/");
}

