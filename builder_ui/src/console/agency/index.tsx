import { useTranslation } from "react-i18next";

/** /agency: the client workspaces of the user's agencies with their plans and enabled plugins. */
export function AgencyPage() {
  const { t } = useTranslation();
  return <h1>{t("agency.title")}</h1>;
}
