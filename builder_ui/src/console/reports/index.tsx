import { useTranslation } from "react-i18next";
import type { Section, SectionProps } from "../sections";

function ReportsSection(_props: SectionProps) {
  const { t } = useTranslation();
  return <h1>{t("reports.title")}</h1>;
}

export const reportsSection: Section = { key: "reports", label: "reports.title", component: ReportsSection };
