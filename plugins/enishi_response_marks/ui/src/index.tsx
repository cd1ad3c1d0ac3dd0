// The response marks plugin's console module: the marks and their order among the settings pages, in place of
// the generic page of the resource response_marks.marks (same key, menu title, group and order), and the
// friend's mark on the friend's page (after the tags) and beside a chat, and the inbox's filter by mark.
import type { RegisterUi } from "@enishi/plugin-ui";
import en from "./locales/en.json";
import ja from "./locales/ja.json";
import { FriendMarkPanel } from "./FriendMarkPanel";
import { markCondition, MarkFilter } from "./MarkFilter";
import { MarksPage } from "./MarksPage";
import { PLUGIN } from "./names";

const register: RegisterUi = (ui) => {
  ui.locales({ ja, en });
  ui.settingsPage({
    key: `${PLUGIN}.marks`,
    title: { ja: ja.title, en: en.title },
    group: "data",
    order: 20,
    component: MarksPage,
  });
  ui.friendPanel({ key: "mark", title: { ja: ja.panel.title, en: en.panel.title }, order: 20, besideChat: true, component: FriendMarkPanel });
  ui.conversationFilter({
    key: "mark",
    title: { ja: ja.filter.label, en: en.filter.label },
    order: 10,
    component: MarkFilter,
    condition: markCondition,
  });
};

export default register;
