// A friend's assignee on the friend's page and beside a chat: a select of the workspace's staff that changes it
// at once (unassigned takes them off); disabled without assignment.assign.
import { FriendChoicePanel, workspaceUrl, type FriendPanelProps } from "@enishi/plugin-ui";
import { useTranslation } from "react-i18next";
import { PLUGIN } from "./names";

const read = (answer: Record<string, unknown>) => (answer.assignee as { user_id: number } | null)?.user_id ?? null;

export function FriendAssigneePanel({ workspaceId, permissions, friendId, onChanged }: FriendPanelProps) {
  const { t } = useTranslation(PLUGIN);
  return (
    <FriendChoicePanel
      url={workspaceUrl(workspaceId, `/${PLUGIN}/friends/${friendId}`)}
      lookup={`${PLUGIN}.staff`}
      read={read}
      body={(id) => ({ user_id: id })}
      texts={{ title: t("panel.title"), none: t("panel.none"), changed: t("panel.changed"), loading: t("loading") }}
      disabled={!permissions.includes(`${PLUGIN}.assign`)}
      inputId={`friend-${friendId}-assignee`}
      onChanged={onChanged}
    />
  );
}
