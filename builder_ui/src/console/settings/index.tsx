import { useTranslation } from "react-i18next";
import type { Section, SectionProps } from "../sections";

function SettingsSection(_props: SectionProps) {
  const { t } = useTranslation();
  return <h1>{t("settings.title")}</h1>;
}

export const settingsSection: Section = { key: "settings", label: "settings.title", component: SettingsSection };
