// The inflow plugin's console module: its routes' settings page (each route's URL to copy and QR codes to
// download, actions on entry configured by their node forms), standing in for the generic page of its
// resource (same key).
import type { RegisterUi } from "@enishi/plugin-ui";
import en from "./locales/en.json";
import ja from "./locales/ja.json";
import { InflowPage } from "./InflowPage";

const register: RegisterUi = (ui) => {
  ui.locales({ ja, en });
  // The resource's key, title, group and order (enishi_inflow.screens.ROUTE_RESOURCE).
  ui.settingsPage({
    key: "inflow.routes",
    title: { ja: ja.menu, en: en.menu },
    group: "data",
    order: 50,
    component: InflowPage,
  });
};

export default register;
