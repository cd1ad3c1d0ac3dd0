// The birthday plugin's console module: a panel on a friend's page with the friend's birthday (and age), read
// from the plugin's own route. The settings page of birthdays needs no code: it is the Resource in screens.py.
import { api, workspaceUrl, type RegisterUi, type WorkspaceProps } from "@enishi/plugin-ui";
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
        <p className="error" role="alert">
          {error}
        </p>
      ) : birthday === undefined ? null : birthday === null ? (
        <p className="muted">{t("none")}</p>
      ) : (
        <p>
          <time dateTime={birthday}>{shown}</time> <span className="muted">({t("age", { age: ageOn(birthday, new Date()) })})</span>
        </p>
      )}
    </section>
  );
}

const register: RegisterUi = (ui) => {
  ui.locales({ ja, en });
  ui.friendPanel({ key: "birthday", title: { ja: ja.title, en: en.title }, order: 60, component: BirthdayPanel });
};

export default register;
