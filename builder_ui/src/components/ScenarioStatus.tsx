// A scenario's status (下書き, 配信中, 停止中) as a tag in the console's text over a light colour.
import { Tag } from "antd";
import { useTranslation } from "react-i18next";

export function ScenarioStatusTag({ status }: { status: string }) {
  const { t } = useTranslation();
  return <Tag className={`scenario-status status-${status}`}>{t(`status.${status}`)}</Tag>;
}
