// The member cards plugin's console module: the card design among the settings pages, and the friend's card
// (member number, points, stamps, rank) on a friend's page.
import type { RegisterUi } from "@enishi/plugin-ui";
import en from "./locales/en.json";
import ja from "./locales/ja.json";
import { FriendCardPanel } from "./FriendCardPanel";
import { MemberCardPage } from "./MemberCardPage";

const register: RegisterUi = (ui) => {
  ui.locales({ ja, en });
  ui.settingsPage({
    key: "member_card",
    title: { ja: ja.menu, en: en.menu },
    group: "data",
    order: 60,
    component: MemberCardPage,
  });
  ui.friendPanel({ key: "card", title: { ja: ja.panel.title, en: en.panel.title }, order: 50, component: FriendCardPanel });
};

export default register;
