// Published versions: when, and load one back into the editor or download it.
import { Button, Empty, Space, Tag } from "antd";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, workspaceUrl } from "../api";
import type { ScenarioDocument, Version } from "../types";

export function VersionsPanel({
  workspaceId,
  scenarioId,
  refresh,
  currentNumber,
  onLoad,
  onExport,
}: {
  workspaceId: number;
  scenarioId: number;
  refresh: number;
  currentNumber: number | null;
  onLoad: (doc: ScenarioDocument, number: number) => void;
  onExport: (number: number) => void;
}) {
  const { t, i18n } = useTranslation();
  const [versions, setVersions] = useState<Version[] | null>(null);
  useEffect(() => {
    api
      .get<Version[]>(workspaceUrl(workspaceId, `/scenarios/${scenarioId}/versions`))
      .then(setVersions)
      .catch(() => setVersions([]));
  }, [workspaceId, scenarioId, refresh]);

  const load = async (n: number) => {
    onLoad(await api.get<ScenarioDocument>(workspaceUrl(workspaceId, `/scenarios/${scenarioId}/versions/${n}`)), n);
  };

  return (
    <section className="versions" aria-label={t("versions.title")}>
      <h2>{t("versions.title")}</h2>
      {versions === null ? (
        <p>{t("common.loading")}</p>
      ) : versions.length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("versions.none")} />
      ) : (
        <ol className="version-list" reversed>
          {[...versions].reverse().map((v) => (
            <li key={v.id}>
              <strong>v{v.number}</strong>{" "}
              {v.number === currentNumber && <Tag className="scenario-status status-active">{t("versions.current")}</Tag>}
              <span className="muted small"> {new Date(v.published_at).toLocaleString(i18n.language === "en" ? "en-GB" : "ja-JP")}</span>
              <Space size="small" wrap className="version-actions">
                <Button size="small" onClick={() => load(v.number)}>
                  {t("versions.load")}
                </Button>
                <Button size="small" onClick={() => onExport(v.number)}>
                  {t("versions.export")}
                </Button>
              </Space>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
