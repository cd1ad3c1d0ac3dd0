import { useTranslation } from "react-i18next";
import type { Section, SectionProps } from "../sections";

function BroadcastsSection(_props: SectionProps) {
  const { t } = useTranslation();
  return <h1>{t("broadcasts.title")}</h1>;
}

export const broadcastsSection: Section = { key: "broadcasts", label: "broadcasts.title", component: BroadcastsSection };
