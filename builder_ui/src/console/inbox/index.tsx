import { useTranslation } from "react-i18next";
import type { Section, SectionProps } from "../sections";

function InboxSection(_props: SectionProps) {
  const { t } = useTranslation();
  return <h1>{t("inbox.title")}</h1>;
}

export const inboxSection: Section = { key: "inbox", label: "inbox.title", component: InboxSection };
