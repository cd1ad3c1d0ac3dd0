// The tags plugin's console module: the tags and their folders among the settings pages, in place of the
// generic page of the resource tags.tags (same key, menu title, group and order), and a friend's tags on the
// friend's page (first among the panels).
import type { RegisterUi } from "@enishi/plugin-ui";
import en from "./locales/en.json";
import ja from "./locales/ja.json";
import { FriendTagsPanel } from "./FriendTagsPanel";
import { PLUGIN } from "./names";
import { TagsPage } from "./TagsPage";

const register: RegisterUi = (ui) => {
  ui.locales({ ja, en });
  ui.settingsPage({
    key: `${PLUGIN}.tags`,
    title: { ja: ja.title, en: en.title },
    group: "data",
    order: 10,
    component: TagsPage,
  });
  ui.friendPanel({ key: "tags", title: { ja: ja.panel.title, en: en.panel.title }, order: 10, component: FriendTagsPanel });
};

export default register;
