// The friend fields plugin's console module: its fields' settings page (grouped by folder, deleting what
// friends hold only after asking again), standing in for the generic page of its resource (same key), and a
// friend's values as one form on the friend's page (after the tags, the mark and the assignee).
import type { RegisterUi } from "@enishi/plugin-ui";
import en from "./locales/en.json";
import ja from "./locales/ja.json";
import { FieldsPage } from "./FieldsPage";
import { FriendFieldsPanel } from "./FriendFieldsPanel";

const register: RegisterUi = (ui) => {
  ui.locales({ ja, en });
  // The resource's key, title, group and order (enishi_friend_fields.screens.FIELD_RESOURCE).
  ui.settingsPage({
    key: "friend_fields.fields",
    title: { ja: ja.menu, en: en.menu },
    group: "data",
    order: 30,
    component: FieldsPage,
  });
  ui.friendPanel({ key: "fields", title: { ja: ja.panel.title, en: en.panel.title }, order: 40, component: FriendFieldsPanel });
};

export default register;
