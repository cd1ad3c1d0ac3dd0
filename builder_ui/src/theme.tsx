// The console's one look: Ant Design's components (tables, dialogs, date pickers, notifications) in the UI's
// language and in Enishi's colours. Its date pickers read dayjs's locale, switched with the UI's language.
import { ConfigProvider, type ThemeConfig } from "antd";
import enUS from "antd/locale/en_US";
import jaJP from "antd/locale/ja_JP";
import dayjs from "dayjs";
import "dayjs/locale/ja";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";

/** The tokens of styles.css's :root, for the components: the dark LINE green reads on white (4.5:1), the font
 * is the console's Japanese one. */
export const THEME: ThemeConfig = {
  token: {
    colorPrimary: "#067a3a",
    colorLink: "#1558b0",
    colorError: "#c5221f",
    colorText: "#1f2933",
    // Secondary text (hints, descriptions) in the console's muted grey: antd's lighter greys read at 3.4:1 only.
    colorTextSecondary: "#5f6b78",
    colorTextDescription: "#5f6b78",
    colorTextTertiary: "#5f6b78",
    // Selected and active backgrounds (table rows, select options) in a pale green: derived from the dark
    // green they would be a heavy grey-green under dark text.
    colorPrimaryBg: "#e6f4ea",
    colorPrimaryBgHover: "#d4eddc",
    controlItemBgActive: "#e6f4ea",
    controlItemBgActiveHover: "#d4eddc",
    colorBorder: "#d9dee3",
    fontFamily: '"Noto Sans JP", "Noto Sans CJK JP", "Hiragino Sans", system-ui, sans-serif',
    fontSize: 14,
    borderRadius: 6,
  },
};

/** The components' language follows the console's (ja first, en on request). */
export function ConsoleTheme({ children }: { children: ReactNode }) {
  const { i18n } = useTranslation();
  const english = i18n.language === "en";
  dayjs.locale(english ? "en" : "ja");
  return (
    // No space put between two kanji of a button's label ("作成", not "作 成"): a Chinese typesetting habit.
    <ConfigProvider locale={english ? enUS : jaJP} theme={THEME} button={{ autoInsertSpace: false }}>
      {children}
    </ConfigProvider>
  );
}
