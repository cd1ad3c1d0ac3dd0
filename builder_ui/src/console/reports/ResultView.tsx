// A report's result drawn from its shape alone: the chart its hint names (line, bar, funnel, heat map) and the
// table of its rows. A plugin's new report needs no code here; a plugin's UI module may draw its own report its own
// way (reportRenderer), which then replaces this view for that report.
import { Checkbox, Empty, Table, type TableColumnsType } from "antd";
import { useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import { useNamedTable } from "../../components/tables";
import { localized } from "../../i18n";
import { useContributions } from "../../platform/modules";
import {
  formatCell,
  funnelStages,
  heatMap,
  initiallyShown,
  isNumeric,
  seriesToChartData,
  type HeatMap,
  type ReportResult,
} from "./results";

const PALETTE = ["#06c755", "#1f6feb", "#e5534b", "#c69026", "#8250df", "#1b7c83", "#bf3989", "#57606a"];
const colour = (i: number) => PALETTE[i % PALETTE.length];

const NO_PARAMS: Record<string, unknown> = {};

export function ResultView({
  result,
  report,
  params = NO_PARAMS,
  workspaceId,
}: {
  result: ReportResult;
  /** The report type's key ("inflow.routes"): a renderer a plugin registered for it draws the result. */
  report?: string;
  params?: Record<string, unknown>;
  workspaceId?: number;
}) {
  const renderer = useContributions("reportRenderer").find((c) => c.slot.report === report);
  if (renderer && report !== undefined && workspaceId !== undefined) {
    const Renderer = renderer.slot.component;
    return (
      <div className="report-result" data-plugin={renderer.plugin}>
        <Renderer result={result} params={params} workspaceId={workspaceId} />
      </div>
    );
  }
  return <GenericResultView result={result} />;
}

function GenericResultView({ result }: { result: ReportResult }) {
  const { t } = useTranslation();
  const chart =
    result.chart === "heatmap" ? (
      <HeatMapTable result={result} />
    ) : result.chart === "funnel" && result.series.length > 0 ? (
      <FunnelChart result={result} />
    ) : (result.chart === "line" || result.chart === "bar") && result.series.length > 0 ? (
      <SeriesChart result={result} kind={result.chart} />
    ) : null;
  return (
    <div className="report-result">
      {chart}
      {result.chart === "heatmap" ? (
        <details className="report-raw">
          <summary>{t("reports.raw_table")}</summary>
          <DataTable result={result} />
        </details>
      ) : (
        <DataTable result={result} />
      )}
    </div>
  );
}

/** A row of a result, keyed by its place (a report's rows need not have a key of their own). */
interface Row {
  key: number;
  row: ReportResult["rows"][number];
}

export function DataTable({ result }: { result: ReportResult }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const components = useNamedTable(t("reports.table"));
  const rows = useMemo<Row[]>(() => result.rows.map((row, key) => ({ key, row })), [result.rows]);
  if (result.rows.length === 0) return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("reports.no_rows")} />;
  const columns: TableColumnsType<Row> = result.columns.map((c) => ({
    key: c.key,
    title: localized(c.label, lang) || c.key,
    ...(isNumeric(c.type) ? { align: "right" as const, className: "num" } : {}),
    render: (_, r) => formatCell(r.row[c.key], c.type, lang),
  }));
  return (
    <div className="table-scroll">
      <Table<Row>
        className="report-table"
        columns={columns}
        dataSource={rows}
        pagination={false}
        size="small"
        components={components}
      />
    </div>
  );
}

function SeriesChart({ result, kind }: { result: ReportResult; kind: "line" | "bar" }) {
  const { t, i18n } = useTranslation();
  const { data, lines } = useMemo(() => seriesToChartData(result.series, i18n.language), [result, i18n.language]);
  const [shown, setShown] = useState<string[]>(() => initiallyShown(result.series));
  const visible = lines.filter((l) => shown.includes(l.key));
  const toggle = (key: string) => setShown((s) => (s.includes(key) ? s.filter((k) => k !== key) : [...s, key]));
  return (
    <figure className="report-chart" aria-label={t("reports.chart")}>
      <ResponsiveContainer width="100%" height={320}>
        {kind === "line" ? (
          <LineChart data={data} margin={{ top: 8, right: 24, bottom: 8, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="x" />
            <YAxis allowDecimals={false} />
            <Tooltip />
            <Legend />
            {visible.map((l) => (
              <Line
                key={l.key}
                type="linear"
                dataKey={l.key}
                name={l.label}
                stroke={colour(lines.indexOf(l))}
                dot={data.length < 40}
                isAnimationActive={false}
              />
            ))}
          </LineChart>
        ) : (
          <BarChart data={data} margin={{ top: 8, right: 24, bottom: 8, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="x" />
            <YAxis allowDecimals={false} />
            <Tooltip />
            <Legend />
            {visible.map((l) => (
              <Bar key={l.key} dataKey={l.key} name={l.label} fill={colour(lines.indexOf(l))} isAnimationActive={false} />
            ))}
          </BarChart>
        )}
      </ResponsiveContainer>
      {lines.length > 1 && (
        <fieldset className="series-toggles">
          <legend>{t("reports.series")}</legend>
          {lines.map((l) => (
            <Checkbox key={l.key} checked={shown.includes(l.key)} onChange={() => toggle(l.key)}>
              <span className="swatch" style={{ background: colour(lines.indexOf(l)) }} />
              {l.label}
            </Checkbox>
          ))}
        </fieldset>
      )}
    </figure>
  );
}

function FunnelChart({ result }: { result: ReportResult }) {
  const { t, i18n } = useTranslation();
  const stages = useMemo(() => funnelStages(result.series), [result]);
  const locale = i18n.language === "en" ? "en-US" : "ja-JP";
  const data = stages.map((s) => ({ label: s.label, friends: s.friends, dropOff: s.dropOff }));
  return (
    <figure className="report-chart funnel" aria-label={t("reports.funnel")}>
      <ResponsiveContainer width="100%" height={Math.max(160, 56 * stages.length + 40)}>
        <BarChart data={data} layout="vertical" margin={{ top: 8, right: 24, bottom: 8, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" horizontal={false} />
          <XAxis type="number" allowDecimals={false} />
          <YAxis type="category" dataKey="label" width={160} />
          <Tooltip />
          <Legend />
          <Bar dataKey="friends" name={t("reports.stage_friends")} stackId="f" fill={colour(0)} isAnimationActive={false} />
          <Bar dataKey="dropOff" name={t("reports.drop_off")} stackId="f" fill="#d0d7de" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
      <ol className="funnel-steps">
        {stages.map((s, i) => (
          <li key={i}>
            <strong>{s.label}</strong> {s.friends.toLocaleString(locale)}
            {t("reports.people")}
            {s.conversion !== null && (
              <span className="muted">
                {" "}
                ({t("reports.conversion_from_previous", { percent: s.conversion })} ·{" "}
                {t("reports.dropped", { count: s.dropOff })})
              </span>
            )}
          </li>
        ))}
      </ol>
    </figure>
  );
}

type HeatRow = HeatMap["rows"][number];

function HeatMapTable({ result }: { result: ReportResult }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const map = useMemo(() => heatMap(result, lang), [result, lang]);
  const components = useNamedTable(t("reports.heatmap"));
  const n = (v: number) => formatCell(v, "integer", lang);
  const p = (v: number | null) => (v === null ? "" : formatCell(v, "percent", lang));
  const figures = (count: number, percent: number | null) => (
    <>
      <span className="count">{n(count)}</span>
      <span className="pct">{p(percent)}</span>
    </>
  );
  const columns: TableColumnsType<HeatRow> = [
    { key: "label", title: map.rowHeader, rowScope: "row", render: (_, row) => row.label },
    ...map.columns.map((c, j) => ({
      key: `c${j}`,
      title: c,
      align: "right" as const,
      onCell: (row: HeatRow) => ({
        style: { background: `rgba(6, 199, 85, ${(0.08 + 0.72 * row.cells[j].intensity).toFixed(3)})` },
        className: row.cells[j].intensity > 0.6 ? "strong" : undefined,
        title: `${row.label} × ${c}`,
      }),
      render: (_: unknown, row: HeatRow) => figures(row.cells[j].count, row.cells[j].percent),
    })),
    {
      key: "total",
      title: t("reports.total"),
      align: "right",
      className: "total",
      render: (_, row) => figures(row.total, row.percent),
    },
  ];
  return (
    <div className="table-scroll">
      <Table<HeatRow>
        className="heatmap"
        rowKey="label"
        columns={columns}
        dataSource={map.rows}
        pagination={false}
        size="small"
        bordered
        components={components}
        summary={() => (
          <Table.Summary.Row>
            <th scope="row" className="ant-table-cell">
              {t("reports.total")}
            </th>
            {map.columnTotals.map((c, j) => (
              <Table.Summary.Cell key={j} index={j + 1} align="right" className="total">
                {figures(c.count, c.percent)}
              </Table.Summary.Cell>
            ))}
            <Table.Summary.Cell index={map.columnTotals.length + 1} align="right" className="total grand">
              <span className="count">{n(map.total)}</span>
            </Table.Summary.Cell>
          </Table.Summary.Row>
        )}
      />
      <p className="muted small">{t("reports.heatmap_note")}</p>
    </div>
  );
}
