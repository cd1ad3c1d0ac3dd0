// The assignment plugin's console module: the friend's assignee on the friend's page (after the tags and the
// response mark) and beside a chat, and the inbox's filter by assignee.
import type { RegisterUi } from "@enishi/plugin-ui";
import en from "./locales/en.json";
import ja from "./locales/ja.json";
import { assigneeCondition, AssigneeFilter } from "./AssigneeFilter";
import { FriendAssigneePanel } from "./FriendAssigneePanel";

const register: RegisterUi = (ui) => {
  ui.locales({ ja, en });
  ui.friendPanel({ key: "assignee", title: { ja: ja.panel.title, en: en.panel.title }, order: 30, besideChat: true, component: FriendAssigneePanel });
  ui.conversationFilter({
    key: "assignee",
    title: { ja: ja.filter.label, en: en.filter.label },
    order: 20,
    component: AssigneeFilter,
    condition: assigneeCondition,
  });
};

export default register;
