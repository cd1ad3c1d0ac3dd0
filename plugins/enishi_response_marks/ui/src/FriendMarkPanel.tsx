// A friend's response mark on the friend's page and beside a chat: a select of the workspace's marks that
// changes it at once (none takes it off); disabled without response_marks.assign.
import { FriendChoicePanel, workspaceUrl, type FriendPanelProps } from "@enishi/plugin-ui";
import { useTranslation } from "react-i18next";
import { PLUGIN } from "./names";

const read = (answer: Record<string, unknown>) => (answer.mark as { id: number } | null)?.id ?? null;

export function FriendMarkPanel({ workspaceId, permissions, friendId, onChanged }: FriendPanelProps) {
  const { t } = useTranslation(PLUGIN);
  return (
    <FriendChoicePanel
      url={workspaceUrl(workspaceId, `/${PLUGIN}/friends/${friendId}`)}
      lookup={`${PLUGIN}.marks`}
      read={read}
      body={(id) => ({ mark_id: id })}
      texts={{ title: t("panel.title"), none: t("panel.none"), changed: t("panel.changed"), loading: t("loading") }}
      disabled={!permissions.includes(`${PLUGIN}.assign`)}
      inputId={`friend-${friendId}-mark`}
      onChanged={onChanged}
    />
  );
}
