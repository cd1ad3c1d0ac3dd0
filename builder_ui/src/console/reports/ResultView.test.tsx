import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { inConsole } from "../../test/router";
import { ResultView } from "./ResultView";
import type { ReportResult } from "./results";

const l = (ja: string, en = ja) => ({ ja, en });

describe("ResultView", () => {
  it("draws a plugin's own report from its columns and series alone", () => {
    // A third-party report (friends per birth month) the UI has never heard of.
    const result: ReportResult = {
      chart: "bar",
      columns: [
        { key: "month", label: l("月", "Month"), type: "integer" },
        { key: "friends", label: l("友だち数", "Friends"), type: "integer" },
      ],
      rows: [
        { month: 1, friends: 1200 },
        { month: 2, friends: 0 },
      ],
      series: [{ key: "friends", label: l("友だち数", "Friends"), points: [["1", 1200], ["2", 0]] }],
    };
    render(<ResultView result={result} />, inConsole);
    const table = screen.getByRole("table", { name: "集計表" });
    expect(within(table).getAllByRole("columnheader").map((h) => h.textContent)).toEqual(["月", "友だち数"]);
    expect(within(table).getAllByRole("row")[1].textContent).toBe("11,200");
    expect(screen.getByRole("figure", { name: "グラフ" })).toBeTruthy();
  });

  it("shows a matrix as a heat map with totals, its raw table folded away", () => {
    const result: ReportResult = {
      chart: "heatmap",
      columns: [
        { key: "row", label: l("区分", "Bucket"), type: "string" },
        { key: "c0", label: l("1月"), type: "integer" },
        { key: "c0_pct", label: l("1月 (%)"), type: "percent" },
        { key: "total", label: l("合計", "Total"), type: "integer" },
        { key: "total_pct", label: l("合計 (%)", "Total (%)"), type: "percent" },
      ],
      rows: [
        { row: "VIP", c0: 3, c0_pct: 100, total: 3, total_pct: 75 },
        { row: "合計", c0: 4, c0_pct: 100, total: 4, total_pct: 100 },
      ],
      series: [],
    };
    render(<ResultView result={result} />, inConsole);
    const heat = screen.getByRole("table", { name: "ヒートマップ" });
    const [, vip, totals] = within(heat).getAllByRole("row");
    expect(vip.textContent).toBe("VIP3100%375%");
    expect(totals.textContent).toBe("合計4100%4");
    expect(within(heat).getAllByRole("rowheader").map((h) => h.textContent)).toEqual(["VIP", "合計"]);
    expect(screen.getByText("元の表").closest("details")?.open).toBe(false);
  });

  it("lists a funnel's stages with conversion and drop-off", () => {
    const result: ReportResult = {
      chart: "funnel",
      columns: [{ key: "label", label: l("名前"), type: "string" }],
      rows: [{ label: "登録" }, { label: "購入" }],
      series: [{ key: "friends", label: l("人数"), points: [["登録", 40], ["購入", 10]] }],
    };
    render(<ResultView result={result} />, inConsole);
    const steps = within(screen.getByRole("figure", { name: "ファネル" })).getAllByRole("listitem");
    expect(steps.map((s) => s.textContent)).toEqual(["登録 40人", "購入 10人 (前の段階から 25% · 30人離脱)"]);
  });
});
