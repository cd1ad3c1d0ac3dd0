// The scenario list: grouped by folder, copy, delete saying what it stops, and folders made, renamed, removed.
import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { inConsole } from "../test/router";
import type { Scenario, WorkspaceAccess } from "../types";
import { ScenarioList } from "./ScenarioList";

const json = (body: unknown, status = 200) => new Response(status === 204 ? null : JSON.stringify(body), { status });
const access = (permissions: string[]): WorkspaceAccess => ({
  workspace: { id: 3, name: "縁カフェ", timezone: "Asia/Tokyo" },
  role: "owner",
  permissions,
  enabled_plugins: [],
});
const scenario = (id: number, name: string, folder: string | null, live_runs = 0): Scenario => ({
  id,
  name,
  folder,
  description: null,
  status: "active",
  draft_changed: false,
  current_version: { id, number: 1, published_at: "2026-12-01T00:00:00Z", published_by: null },
  live_runs,
  created_at: "2026-12-01T00:00:00Z",
  updated_at: "2026-12-01T00:00:00Z",
});
const last = (all: HTMLElement[]) => all[all.length - 1];

afterEach(() => vi.restoreAllMocks());

describe("scenario list", () => {
  it("groups by folder, copies, and deletes after saying how many friends it stops", async () => {
    const calls: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const method = init?.method ?? "GET";
      calls.push(`${method} ${String(input)}${init?.body ? ` ${String(init.body)}` : ""}`);
      if (method === "DELETE") return json(null, 204);
      if (method === "POST") return json({});
      return json({ items: [scenario(1, "ようこそ", "春の案内", 12), scenario(2, "誕生日", null)], next: null });
    });
    render(<ScenarioList access={access(["core.write"])} />, inConsole);
    const spring = await screen.findByRole("region", { name: "春の案内" });
    expect(within(spring).getByRole("link", { name: "ようこそ" })).toBeTruthy();
    expect(within(screen.getByRole("region", { name: "フォルダなし" })).getByRole("link", { name: "誕生日" })).toBeTruthy();

    fireEvent.click(screen.getByRole("button", { name: "誕生日 をコピー" }));
    await waitFor(() => expect(calls).toContain("POST /api/workspaces/3/scenarios/2/copy {}"));

    fireEvent.click(screen.getByRole("button", { name: "ようこそ を削除" }));
    expect(await screen.findByText("参加中の 12人のシナリオを停止します。元に戻せません。")).toBeTruthy();
    fireEvent.click(last(screen.getAllByRole("button", { name: "削除" })));
    await waitFor(() => expect(calls).toContain("DELETE /api/workspaces/3/scenarios/1?stop_runs=true"));
  }, 30_000);

  it("makes a folder with the scenarios put in it, and removes one keeping its scenarios", async () => {
    const calls: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const method = init?.method ?? "GET";
      if (method !== "GET") calls.push(`${method} ${String(input)} ${String(init?.body)}`);
      if (method === "POST") return json({ count: 1 });
      return json({ items: [scenario(1, "ようこそ", "春の案内"), scenario(2, "誕生日", null)], next: null });
    });
    render(<ScenarioList access={access(["core.write"])} />, inConsole);
    fireEvent.click(await screen.findByRole("button", { name: "フォルダを作成" }));
    const dialog = await screen.findByRole("dialog", { name: "フォルダを作成" });
    fireEvent.change(within(dialog).getByRole("combobox", { name: "新しいフォルダ名" }), { target: { value: "秋の案内" } });
    fireEvent.mouseDown(within(dialog).getByRole("combobox", { name: "入れるシナリオ" }));
    const options = await screen.findAllByText("誕生日", { selector: ".ant-select-item-option-content" });
    fireEvent.click(last(options));
    fireEvent.click(within(dialog).getByRole("button", { name: "フォルダを作成" }));
    await waitFor(() =>
      expect(calls).toContain(`POST /api/workspaces/3/scenarios/folders/move {"scenario_ids":[2],"folder":"秋の案内"}`),
    );

    fireEvent.click(screen.getByRole("button", { name: "フォルダ「春の案内」を削除" }));
    expect(await screen.findByText("中のシナリオ 1件は削除されず、フォルダなしになります。")).toBeTruthy();
    fireEvent.click(last(screen.getAllByRole("button", { name: "フォルダを削除" })));
    await waitFor(() =>
      expect(calls).toContain(`POST /api/workspaces/3/scenarios/folders/rename {"folder":"春の案内","to":null}`),
    );
  }, 30_000);

  it("offers no changes to someone who may only look", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async () =>
      json({ items: [scenario(1, "ようこそ", "春の案内")], next: null }),
    );
    render(<ScenarioList access={access([])} />, inConsole);
    await screen.findByRole("link", { name: "ようこそ" });
    expect(screen.queryByRole("button", { name: "ようこそ を削除" })).toBeNull();
    expect(screen.queryByRole("button", { name: "フォルダを作成" })).toBeNull();
  });
});
