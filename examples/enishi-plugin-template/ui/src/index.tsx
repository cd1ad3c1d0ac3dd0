// The birthday plugin's console module: a panel on a friend's page with the friend's birthday (and age), read
// from the plugin's own route. The settings page of birthdays needs no code: it is the Resource in screens.py.
// It draws with the console's Ant Design components, imported from "antd" (the build leaves antd out: the
// console shares its copy, so the panel has the console's theme and language).
import { api, workspaceUrl, type RegisterUi, type WorkspaceProps } from "@enishi/plugin-ui";
import { Alert, Typography } from "antd";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";

/** The plugin's name: its i18n namespace and the first part of its routes. */
const PLUGIN = "birthday";

const ja = { title: "誕生日", none: "誕生日は登録されていません。", age: "{{age}}歳" };
const en = { title: "Birthday", none: "No birthday recorded.", age: "{{age}} years old" };

interface Birthday {
  friend_id: number;
  birthday: string | null; // "YYYY-MM-DD"
}

/** Full years from an ISO date to today. */
function ageOn(birthday: string, today: Date): number {
  const [y, m, d] = birthday.split("-").map(Number);
  const before = today.getMonth() + 1 < m || (today.getMonth() + 1 === m && today.getDate() < d);
  return today.getFullYear() - y - (before ? 1 : 0);
}

function BirthdayPanel({ workspaceId, friendId }: WorkspaceProps & { friendId: number }) {
  const { t, i18n } = useTranslation(PLUGIN);
  // undefined while loading.
  const [birthday, setBirthday] = useState<string | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    api
      .get<Birthday>(workspaceUrl(workspaceId, `/birthday/birthdays/${friendId}`))
      .then((b) => live && setBirthday(b.birthday))
      .catch((e: unknown) => live && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
    };
  }, [workspaceId, friendId]);
  const shown =
    birthday &&
    new Intl.DateTimeFormat(i18n.language === "en" ? "en" : "ja-JP", { dateStyle: "long", timeZone: "UTC" }).format(
      new Date(`${birthday}T00:00:00Z`),
    );
  return (
    <section className="friend-block" aria-label={t("title")}>
      <h2>{t("title")}</h2>
      {error ? (
        <Alert type="error" showIcon={false} message={error} />
      ) : birthday === undefined ? null : birthday === null ? (
        <Typography.Text type="secondary">{t("none")}</Typography.Text>
      ) : (
        <Typography.Paragraph>
          <time dateTime={birthday}>{shown}</time>{" "}
          <Typography.Text type="secondary">({t("age", { age: ageOn(birthday, new Date()) })})</Typography.Text>
        </Typography.Paragraph>
      )}
    </section>
  );
}

const register: RegisterUi = (ui) => {
  ui.locales({ ja, en });
  ui.friendPanel({ key: "birthday", title: { ja: ja.title, en: en.title }, order: 60, component: BirthdayPanel });
};

export default register;
