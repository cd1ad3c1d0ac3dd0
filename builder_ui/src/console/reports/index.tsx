// 分析: the reports of the plugins enabled in the workspace, each with a form from its parameter schema, its
// result as a chart and a table, and a CSV download. /w/{id}/reports lists them; /w/{id}/reports/{key} runs one.
import { Alert, Breadcrumb, Button, Card, Empty } from "antd";
import { useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { api, ApiError, postForFile, workspaceUrl } from "../../api";
import { loadOptions, LookupContext, type LookupSource } from "../../forms/pickers";
import { localized } from "../../i18n";
import { useWorkspaceCatalog } from "../../platform/catalog";
import { useApiGet } from "../../query";
import type { CatalogLookup } from "../../platform/contract";
import type { NodeTypeDef, WorkspaceAccess } from "../../types";
import type { SectionProps } from "../sections";
import { sectionUrl } from "../sections";
import { ConditionsContext, ParamsForm } from "./ParamsForm";
import { initialParams, pruneParams, withPickedLabels } from "./params";
import { ResultView } from "./ResultView";
import { errorTree, type ErrorTree, type ReportDef, type ReportResult } from "./results";
import "./reports.css";

const NO_LOOKUPS: readonly CatalogLookup[] = [];

const EXPORT = "core.export_friends";
const RUN = "core.search_friends";

interface PluginTitle {
  name: string;
  title: { ja: string; en?: string };
}

function ReportsSection({ access, rest }: SectionProps) {
  const { t } = useTranslation();
  const ws = access.workspace.id;
  const reports = useApiGet<ReportDef[]>(workspaceUrl(ws, "/reports"));
  if (reports.error) return <Alert className="reports-failed" type="error" message={t("common.failed", { message: reports.error })} />;
  if (!reports.data) return <p className="loading">{t("common.loading")}</p>;
  if (rest.length === 0) return <ReportList access={access} reports={reports.data} />;
  const report = reports.data.find((r) => r.key === rest[0]);
  if (!report) return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("reports.not_found")} />;
  return <ReportPage key={report.key} access={access} report={report} />;
}

function ReportList({ access, reports }: { access: WorkspaceAccess; reports: ReportDef[] }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const plugins = useApiGet<PluginTitle[]>(workspaceUrl(access.workspace.id, "/plugins"));
  const groups = useMemo(() => {
    const byPlugin = new Map<string, ReportDef[]>();
    for (const r of reports) byPlugin.set(r.plugin, [...(byPlugin.get(r.plugin) ?? []), r]);
    return [...byPlugin.entries()];
  }, [reports]);
  const pluginTitle = (name: string) =>
    localized(plugins.data?.find((p) => p.name === name)?.title, lang) || name;
  return (
    <div className="reports-page">
      <h1>{t("reports.title")}</h1>
      {groups.length === 0 && <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("reports.none")} />}
      {groups.map(([plugin, items]) => (
        <section key={plugin} className="report-group" aria-label={pluginTitle(plugin)}>
          <h2>{pluginTitle(plugin)}</h2>
          <ul className="report-cards">
            {items.map((r) => (
              <li key={r.key}>
                <Card size="small">
                  <Link to={sectionUrl(access.workspace.id, "reports", r.key)}>{localized(r.label, lang) || r.key}</Link>
                  {r.description && <p className="muted small">{localized(r.description, lang)}</p>}
                </Card>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}

function ReportPage({ access, report }: { access: WorkspaceAccess; report: ReportDef }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const ws = access.workspace.id;
  const base = workspaceUrl(ws, `/reports/${encodeURIComponent(report.key)}`);
  const [params, setParams] = useState<Record<string, unknown>>(() => initialParams(report.params_schema));
  const [result, setResult] = useState<ReportResult | null>(null);
  const [ranWith, setRanWith] = useState<Record<string, unknown>>({}); // what a plugin's renderer is given
  const [running, setRunning] = useState(false);
  const [downloading, setDownloading] = useState(false);
  const [errors, setErrors] = useState<{ tree: ErrorTree; loose: string[] }>({ tree: {}, loose: [] });
  const { catalog } = useWorkspaceCatalog(ws);
  const conditions = useMemo(
    () =>
      ((catalog?.node_types ?? []) as (NodeTypeDef & { usable_in_segments?: boolean | null })[]).filter(
        (n) => n.kind === "condition" && n.usable_in_segments !== false,
      ),
    [catalog],
  );
  const known = catalog?.lookups ?? NO_LOOKUPS;
  const lookups = useMemo<LookupSource>(() => ({ workspaceId: ws, lookups: known }), [ws, known]);
  const canRun = access.permissions.includes(RUN);
  const canExport = access.permissions.includes(EXPORT);

  const failed = (error: unknown) => {
    if (error instanceof ApiError && error.errors.length) setErrors(errorTree(error.errors));
    else setErrors({ tree: {}, loose: [error instanceof Error ? error.message : String(error)] });
  };
  const body = async (p: Record<string, unknown>) => ({
    params: await withPickedLabels(report.params_schema, pruneParams(report.params_schema, p), (name) =>
      loadOptions(lookups, name),
      known,
    ),
    lang,
  });

  const run = async (p: Record<string, unknown>) => {
    if (running) return; // (Enter in a field submits the form while a run is under way)
    setRunning(true);
    setErrors({ tree: {}, loose: [] });
    try {
      setResult(await api.post<ReportResult>(`${base}/run`, await body(p)));
      setRanWith(p);
    } catch (error) {
      setResult(null);
      failed(error);
    } finally {
      setRunning(false);
    }
  };

  const download = async () => {
    setDownloading(true);
    setErrors({ tree: {}, loose: [] });
    try {
      const { blob, filename } = await postForFile(`${base}/export.csv`, await body(params));
      const url = URL.createObjectURL(blob);
      const link = document.createElement("a");
      link.href = url;
      link.download = filename ?? `${report.key.replace(/\./g, "-")}.csv`;
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (error) {
      failed(error);
    } finally {
      setDownloading(false);
    }
  };

  return (
    <div className="reports-page report-page">
      <Breadcrumb items={[{ key: "reports", title: <Link to={sectionUrl(ws, "reports")}>{t("reports.title")}</Link> }]} />
      <h1>{localized(report.label, lang) || report.key}</h1>
      {report.description && <p className="muted">{localized(report.description, lang)}</p>}
      <LookupContext.Provider value={lookups}>
        <ConditionsContext.Provider value={conditions}>
          <section className="report-form" aria-label={t("reports.parameters")}>
            <ParamsForm
              schema={report.params_schema}
              uiSchema={report.ui_schema}
              params={params}
              onChange={setParams}
              onSubmit={(p) => void run(p)}
              errors={errors.tree}
            >
              <div className="report-actions">
                <Button type="primary" htmlType="submit" loading={running} disabled={!canRun}>
                  {running ? t("reports.running") : t("reports.run")}
                </Button>
                {canExport && (
                  <Button loading={downloading} onClick={() => void download()}>
                    {t("reports.download_csv")}
                  </Button>
                )}
                {!canRun && <span className="muted small">{t("reports.no_permission")}</span>}
              </div>
            </ParamsForm>
          </section>
        </ConditionsContext.Provider>
      </LookupContext.Provider>
      {errors.loose.length > 0 && (
        <Alert
          className="report-alert"
          type="error"
          message={errors.loose.map((m) => (
            <p key={m}>{m}</p>
          ))}
        />
      )}
      {Object.keys(errors.tree).length > 0 && (
        <Alert className="report-alert" type="error" message={t("reports.fix_parameters")} />
      )}
      <section className="report-output" aria-label={t("reports.result")} aria-busy={running}>
        {result ? (
          <ResultView result={result} report={report.key} params={ranWith} workspaceId={ws} />
        ) : (
          <p className="muted">{t("reports.run_hint")}</p>
        )}
      </section>
    </div>
  );
}

/** Loaded when the area is first opened (console/sections.ts). */
export default ReportsSection;
