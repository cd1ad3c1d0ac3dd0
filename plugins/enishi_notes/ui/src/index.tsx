// The notes plugin's console module: a friend's notes on the friend's page, last among the panels (the default
// order is 100), as the friend's page always showed them, and beside the talk in the inbox, where notes are taken.
import type { RegisterUi } from "@enishi/plugin-ui";
import en from "./locales/en.json";
import ja from "./locales/ja.json";
import { FriendNotesPanel } from "./FriendNotesPanel";

const register: RegisterUi = (ui) => {
  ui.locales({ ja, en });
  ui.friendPanel({ key: "notes", title: { ja: ja.panel.title, en: en.panel.title }, order: 1000, besideChat: true, component: FriendNotesPanel });
};

export default register;
