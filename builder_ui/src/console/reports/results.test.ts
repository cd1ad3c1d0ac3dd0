import { describe, expect, it } from "vitest";
import {
  errorTree,
  formatCell,
  funnelStages,
  heatMap,
  initiallyShown,
  seriesToChartData,
  type ReportResult,
} from "./results";

const l = (ja: string, en = ja) => ({ ja, en });

describe("series → chart data", () => {
  it("merges series on their x values in first-seen order, keeping gaps as gaps", () => {
    const chart = seriesToChartData(
      [
        { key: "visits", label: l("訪問数", "Visits"), points: [["2026-11-01", 3], ["2026-11-02", 5]] },
        { key: "new_friends", label: l("新規友だち", "New friends"), points: [["2026-11-02", 2], ["2026-11-03", 1]] },
      ],
      "ja",
    );
    expect(chart.data).toEqual([
      { x: "2026-11-01", visits: 3 },
      { x: "2026-11-02", visits: 5, new_friends: 2 },
      { x: "2026-11-03", new_friends: 1 },
    ]);
    expect(chart.lines).toEqual([
      { key: "visits", label: "訪問数" },
      { key: "new_friends", label: "新規友だち" },
    ]);
    expect(seriesToChartData([{ key: "a", label: l("あ", "A"), points: [] }], "en").lines[0].label).toBe("A");
  });

  it("draws a few series at first and leaves the rest to be switched on", () => {
    const series = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `s${i}`, label: null, points: [] }));
    expect(initiallyShown(series(3))).toEqual(["s0", "s1", "s2"]);
    expect(initiallyShown(series(9))).toEqual(["s0", "s1", "s2", "s3"]);
  });
});

describe("funnel", () => {
  it("gives each stage its conversion from the one before and the drop-off", () => {
    const stages = funnelStages([
      { key: "friends", label: null, points: [["1. 登録", 200], ["2. 来店", 50], ["3. 購入", 0], ["4. 再購入", 0]] },
    ]);
    expect(stages.map((s) => [s.friends, s.dropOff, s.conversion, s.overall])).toEqual([
      [200, 0, null, 100],
      [50, 150, 25, 25],
      [0, 50, 0, 0],
      [0, 0, null, 0],
    ]);
  });
});

describe("matrix → heat map", () => {
  // The cross-analysis shape: counts with their share of the row, a total column, a last row of totals.
  const cross: ReportResult = {
    chart: "heatmap",
    columns: [
      { key: "row", label: l("区分", "Bucket"), type: "string" },
      { key: "c0", label: l("男性"), type: "integer" },
      { key: "c0_pct", label: l("男性 (%)"), type: "percent" },
      { key: "c1", label: l("女性"), type: "integer" },
      { key: "c1_pct", label: l("女性 (%)"), type: "percent" },
      { key: "total", label: l("合計", "Total"), type: "integer" },
      { key: "total_pct", label: l("合計 (%)", "Total (%)"), type: "percent" },
    ],
    rows: [
      { row: "VIP", c0: 2, c0_pct: 40, c1: 4, c1_pct: 80, total: 5, total_pct: 50 },
      { row: "新規", c0: 1, c0_pct: 20, c1: 0, c1_pct: 0, total: 5, total_pct: 50 },
      { row: "合計", c0: 3, c0_pct: 30, c1: 4, c1_pct: 40, total: 10, total_pct: 100 },
    ],
    series: [],
  };

  it("keeps the report's totals and percentages (a friend may be in several buckets)", () => {
    const map = heatMap(cross, "ja");
    expect(map.rowHeader).toBe("区分");
    expect(map.columns).toEqual(["男性", "女性"]);
    expect(map.rows.map((r) => r.label)).toEqual(["VIP", "新規"]);
    expect(map.rows[0].cells.map((c) => [c.count, c.percent, c.intensity])).toEqual([
      [2, 40, 0.5],
      [4, 80, 1],
    ]);
    expect(map.rows.map((r) => [r.total, r.percent])).toEqual([
      [5, 50],
      [5, 50],
    ]);
    expect(map.columnTotals).toEqual([
      { count: 3, percent: 30 },
      { count: 4, percent: 40 },
    ]);
    expect(map.total).toBe(10);
    // In English the total row is still recognised by its column's label.
    expect(heatMap(cross, "en").rows).toHaveLength(2);
  });

  it("computes totals and shares for a matrix that brings none", () => {
    const map = heatMap(
      {
        chart: "heatmap",
        columns: [
          { key: "day", label: l("曜日"), type: "string" },
          { key: "am", label: l("午前"), type: "integer" },
          { key: "pm", label: l("午後"), type: "integer" },
        ],
        rows: [
          { day: "月", am: 1, pm: 3 },
          { day: "火", am: 0, pm: 0 },
        ],
        series: [],
      },
      "ja",
    );
    expect(map.rows.map((r) => [r.total, r.percent, r.cells.map((c) => c.percent)])).toEqual([
      [4, 100, [25, 75]],
      [0, 0, [null, null]],
    ]);
    expect(map.columnTotals).toEqual([
      { count: 1, percent: 25 },
      { count: 3, percent: 75 },
    ]);
    expect(map.total).toBe(4);
  });
});

describe("cells and errors", () => {
  it("formats numbers, percentages and missing values", () => {
    expect(formatCell(12345, "integer", "ja")).toBe("12,345");
    expect(formatCell(33.33, "percent", "ja")).toBe("33.3%");
    expect(formatCell(null, "percent", "ja")).toBe("–");
    expect(formatCell({ ja: "はい", en: "yes" }, "string", "en")).toBe("yes");
  });

  it("puts the API's parameter errors where the form shows them", () => {
    const { tree, loose } = errorTree([
      { path: "$.params.to", message: "終了日は開始日以降にしてください" },
      { path: "$.params.rows.tag_ids[1]", message: "no such tag" },
      { path: "$.lang", message: "bad" },
    ]);
    expect(tree).toEqual({
      to: { __errors: ["終了日は開始日以降にしてください"] },
      rows: { tag_ids: { "1": { __errors: ["no such tag"] } } },
    });
    expect(loose).toEqual(["$.lang: bad"]);
  });
});
