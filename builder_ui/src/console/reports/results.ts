// What a report answers (POST /reports/{key}/run) and how it becomes chart data, funnel stages and heat-map
// cells. Nothing here knows a particular report: a plugin's report is drawn from its columns, rows, series and
// chart hint alone.
import { localized } from "../../i18n";
import type { Localized } from "../../types";

export type ColumnType = "string" | "integer" | "number" | "percent" | "date" | "datetime";
export type ChartHint = "table" | "line" | "bar" | "funnel" | "heatmap";

export interface ReportColumn {
  key: string;
  label: Localized | null;
  type: ColumnType;
}

export interface ReportSeries {
  key: string;
  label: Localized | null;
  points: [string, number][];
}

export interface ReportResult {
  chart: ChartHint;
  columns: ReportColumn[];
  rows: Record<string, unknown>[];
  series: ReportSeries[];
}

export interface ReportDef {
  key: string;
  plugin: string;
  version: number;
  label: Localized | null;
  description: Localized | null;
  params_schema: Record<string, unknown>;
  ui_schema: Record<string, unknown>;
}

const NUMERIC: ColumnType[] = ["integer", "number", "percent"];

/** A cell as the table shows it: numbers grouped by locale, percentages with "%", missing values as "–". */
export function formatCell(value: unknown, type: ColumnType, lang: string): string {
  if (value === null || value === undefined || value === "") return "–";
  if (value && typeof value === "object") return localized(value, lang);
  const locale = lang === "en" ? "en-US" : "ja-JP";
  if (typeof value === "number") {
    if (type === "percent") return `${value.toLocaleString(locale, { maximumFractionDigits: 1 })}%`;
    if (type === "integer") return value.toLocaleString(locale, { maximumFractionDigits: 0 });
    return value.toLocaleString(locale, { maximumFractionDigits: 2 });
  }
  if (type === "datetime" && typeof value === "string") {
    const at = new Date(value);
    if (!Number.isNaN(at.getTime())) return at.toLocaleString(locale);
  }
  return String(value);
}

export function isNumeric(type: ColumnType): boolean {
  return NUMERIC.includes(type);
}

// -- series → line and bar charts -------------------------------------------------------------------------------

export interface ChartData {
  /** One entry per x value, in the order the series first name them: {x, <series key>: y, …}. */
  data: Record<string, string | number>[];
  lines: { key: string; label: string }[];
}

/** Series merged on their x values (a series without a point at some x leaves it out there, not zero). */
export function seriesToChartData(series: ReportSeries[], lang: string): ChartData {
  const byX = new Map<string, Record<string, string | number>>();
  for (const s of series) {
    for (const [x, y] of s.points) {
      let entry = byX.get(x);
      if (!entry) {
        entry = { x };
        byX.set(x, entry);
      }
      entry[s.key] = y;
    }
  }
  return {
    data: [...byX.values()],
    lines: series.map((s) => ({ key: s.key, label: localized(s.label, lang) || s.key })),
  };
}

/** The series drawn at first: all of a few, else the first four (the rest are one click away). */
export function initiallyShown(series: ReportSeries[]): string[] {
  return (series.length <= 6 ? series : series.slice(0, 4)).map((s) => s.key);
}

// -- funnel -------------------------------------------------------------------------------------------------

export interface FunnelStage {
  label: string;
  friends: number;
  /** Lost since the stage before (0 at the first stage). */
  dropOff: number;
  /** Share of the stage before that reached this one, in %; null at the first stage or after an empty one. */
  conversion: number | null;
  /** Share of the first stage, in %. */
  overall: number | null;
}

const pct = (part: number, whole: number) => (whole === 0 ? null : Math.round((1000 * part) / whole) / 10);

/** The stages of a funnel from its first series: counts along the stages, conversion and drop-off between them. */
export function funnelStages(series: ReportSeries[]): FunnelStage[] {
  const points = series[0]?.points ?? [];
  return points.map(([label, friends], i) => {
    const previous = i === 0 ? null : points[i - 1][1];
    return {
      label,
      friends,
      dropOff: previous === null ? 0 : previous - friends,
      conversion: previous === null ? null : pct(friends, previous),
      overall: pct(friends, points[0][1]),
    };
  });
}

// -- heat map -----------------------------------------------------------------------------------------------

export interface HeatCell {
  count: number;
  /** Share of the row's total, in %. */
  percent: number | null;
  /** 0…1: the count against the largest cell, for the colour. */
  intensity: number;
}

export interface HeatMap {
  rowHeader: string;
  columns: string[];
  rows: { label: string; cells: HeatCell[]; total: number; percent: number | null }[];
  columnTotals: { count: number; percent: number | null }[];
  total: number;
}

const num = (v: unknown) => (typeof v === "number" ? v : Number(v ?? 0) || 0);
const maybe = (v: unknown) => (v === null || v === undefined ? null : num(v));

/**
 * A matrix result as a heat map. The first column labels the rows; every numeric column (not a percentage) is a
 * column of the matrix, and its share of the row is read from a "<key>_pct" column when the report gives one.
 * A "total" column and a row labelled like it are the report's own totals (they can differ from the sums: a
 * friend may sit in several buckets); without them, totals are the sums and percentages are computed.
 */
export function heatMap(result: ReportResult, lang: string): HeatMap {
  const [first, ...rest] = result.columns;
  const label = (c: ReportColumn) => localized(c.label, lang) || c.key;
  const keys = new Set(rest.map((c) => c.key));
  const totalColumn = rest.find((c) => c.key === "total" && isNumeric(c.type));
  const valueColumns = rest.filter(
    (c) => c !== totalColumn && isNumeric(c.type) && c.type !== "percent" && !c.key.endsWith("_pct"),
  );
  const totalLabels = totalColumn ? new Set([totalColumn.label?.ja, totalColumn.label?.en, label(totalColumn)]) : null;
  const isTotalRow = (row: Record<string, unknown>) =>
    totalLabels !== null && first !== undefined && totalLabels.has(String(row[first.key]));
  const bodyRows = result.rows.filter((r) => !isTotalRow(r));
  const totalRow = result.rows.find(isTotalRow);

  const counts = bodyRows.map((r) => valueColumns.map((c) => num(r[c.key])));
  const rowTotals = bodyRows.map((r, i) =>
    totalColumn ? num(r[totalColumn.key]) : counts[i].reduce((a, b) => a + b, 0),
  );
  const columnTotals = valueColumns.map((c, j) =>
    totalRow ? num(totalRow[c.key]) : counts.reduce((a, row) => a + row[j], 0),
  );
  const total =
    totalRow && totalColumn ? num(totalRow[totalColumn.key]) : rowTotals.reduce((a, b) => a + b, 0);
  const largest = Math.max(0, ...counts.flat());
  const share = (row: Record<string, unknown> | undefined, key: string, part: number, whole: number) =>
    row && keys.has(`${key}_pct`) ? maybe(row[`${key}_pct`]) : pct(part, whole);

  return {
    rowHeader: first ? label(first) : "",
    columns: valueColumns.map(label),
    rows: bodyRows.map((r, i) => ({
      label: first ? formatCell(r[first.key], first.type, lang) : "",
      cells: valueColumns.map((c, j) => ({
        count: counts[i][j],
        percent: share(r, c.key, counts[i][j], rowTotals[i]),
        intensity: largest === 0 ? 0 : counts[i][j] / largest,
      })),
      total: rowTotals[i],
      percent: totalColumn ? share(r, totalColumn.key, rowTotals[i], total) : pct(rowTotals[i], total),
    })),
    columnTotals: valueColumns.map((c, j) => ({
      count: columnTotals[j],
      percent: share(totalRow, c.key, columnTotals[j], total),
    })),
    total,
  };
}

// -- server errors → form errors ------------------------------------------------------------------------------

export type ErrorTree = { __errors?: string[]; [key: string]: ErrorTree | string[] | undefined };

/** "$.params.rows.tag_ids[0]" → ["rows", "tag_ids", "0"]; null for a path outside the parameters. */
export function paramPath(path: string | undefined): string[] | null {
  if (!path || !path.startsWith("$.params")) return null;
  const rest = path.slice("$.params".length);
  return [...rest.matchAll(/\.([^.[\]]+)|\[(\d+)\]/g)].map((m) => m[1] ?? m[2]);
}

/** The API's field errors as RJSF's extraErrors; those that point nowhere in the form are returned apart. */
export function errorTree(errors: { path?: string; message: string }[]): { tree: ErrorTree; loose: string[] } {
  const tree: ErrorTree = {};
  const loose: string[] = [];
  for (const e of errors) {
    const parts = paramPath(e.path);
    if (parts === null || parts.length === 0) {
      loose.push(e.path ? `${e.path}: ${e.message}` : e.message);
      continue;
    }
    let node = tree;
    for (const part of parts) node = (node[part] ??= {}) as ErrorTree;
    (node.__errors ??= []).push(e.message);
  }
  return { tree, loose };
}
