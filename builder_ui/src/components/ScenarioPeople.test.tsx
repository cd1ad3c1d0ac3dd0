// The scenario's people in the console: a held send says why in the dry run, the subscriber list stops and moves
// the chosen friends, publishing shows what changes, and a friend's page shows their scenarios.
import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { FriendScenarios, type FriendRun } from "../console/friends/FriendScenarios";
import type { FlowNode } from "../graph/document";
import { inConsole } from "../test/router";
import type { DryRunResult } from "../types";
import { DryRunPanel } from "./DryRunPanel";
import { PublishConfirm } from "./PublishConfirm";
import { ScenarioSubscribers, type Subscriber } from "./ScenarioSubscribers";

const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200 });
afterEach(() => vi.restoreAllMocks());
// A dialog's button is the last of those so named (the page's own comes first).
const last = (all: HTMLElement[]) => all[all.length - 1];

const flowNode = (id: string, label: string): FlowNode =>
  ({ id, type: "enishi", position: { x: 0, y: 0 }, data: { typeKey: "core.wait_delay", config: {}, label } }) as FlowNode;
const NODES = [flowNode("n-wait", "1日待つ"), flowNode("n-send", "お礼を送る")];

function subscriber(run_id: number, friend_name: string, extra: Partial<Subscriber> = {}): Subscriber {
  return {
    run_id,
    friend_id: run_id + 100,
    friend_name,
    status: "waiting",
    node_id: "n-wait",
    node_title: { ja: "待つ", en: "Wait" },
    since: "2026-12-01T03:00:00Z",
    resume_at: "2026-12-02T03:00:00Z",
    held: false,
    version: 1,
    started_at: "2026-12-01T03:00:00Z",
    ended_at: null,
    ...extra,
  };
}

describe("a send held by quiet hours", () => {
  it("says in the dry run's path when it is sent and why", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => json({ items: [] }));
    const result: DryRunResult = {
      outcome: "completed",
      steps: [
        { node_id: "n-send", node_type: "messages.send_messages", kind: "action", at: "2026-12-01T23:00:00Z", port: "next", detail: {}, held_reason: "quiet_hours", held_from: "2026-12-01T14:30:00Z" },
      ],
    };
    render(
      <DryRunPanel workspaceId={3} scenarioId={5} nodes={NODES} types={new Map()} timezone="Asia/Tokyo"
        beforeRun={async () => true} result={result} onResult={vi.fn()} onFocusNode={vi.fn()} />,
      inConsole,
    );
    const path = screen.getByRole("list", { name: "たどる道筋" });
    expect(within(path).getByRole("note").textContent).toMatch(/ 0?8:00 に送信予定: 配信しない時間帯/);
  });
});

describe("subscriber list", () => {
  it("filters, and stops or moves only the chosen friends", async () => {
    const posts: { url: string; body: unknown }[] = [];
    const gets: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const url = String(input);
      if (init?.method === "POST") {
        posts.push({ url, body: JSON.parse(String(init.body)) });
        return json({ count: 1 });
      }
      gets.push(url);
      return json({ items: [subscriber(1, "あおい"), subscriber(2, "れん", { held: true, node_id: "n-send" })], next: null });
    });
    render(
      <ScenarioSubscribers workspaceId={3} scenarioId={5} nodes={NODES} types={new Map()} timezone="Asia/Tokyo" canWrite />,
      inConsole,
    );
    const table = await screen.findByRole("table");
    expect(within(table).getByText("配信しない時間帯で保留中")).toBeTruthy();
    expect(gets[0]).toContain("status=live");

    fireEvent.click(screen.getByRole("checkbox", { name: "あおい を選ぶ" }));
    fireEvent.click(screen.getByRole("button", { name: "選んだ友だちを停止" }));
    await screen.findAllByText("1人をこのシナリオから停止しますか？");
    fireEvent.click(last(screen.getAllByRole("button", { name: "選んだ友だちを停止" })));
    await waitFor(() => expect(posts).toHaveLength(1));
    expect(posts[0]).toEqual({ url: "/api/workspaces/3/scenarios/5/subscribers/stop", body: { run_ids: [1] } });

    await screen.findAllByText("1人を停止しました");
    fireEvent.click(await screen.findByRole("checkbox", { name: "れん を選ぶ" }));
    fireEvent.mouseDown(screen.getByRole("combobox", { name: "移動先のステップ" }));
    const options = await screen.findAllByText("お礼を送る", { selector: ".ant-select-item-option-content" });
    fireEvent.click(options[options.length - 1]);
    fireEvent.click(screen.getByRole("button", { name: "選んだ友だちを移動" }));
    expect(await screen.findAllByText("1人を「お礼を送る」へ移動しますか？")).not.toHaveLength(0);
    fireEvent.click(last(screen.getAllByRole("button", { name: "選んだ友だちを移動" })));
    await waitFor(() => expect(posts).toHaveLength(2));
    expect(posts[1].body).toEqual({ run_ids: [2], node_id: "n-send" });
  }, 30_000);

  it("offers no changes to someone who may not make them", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => json({ items: [subscriber(1, "あおい")], next: null }));
    render(
      <ScenarioSubscribers workspaceId={3} scenarioId={5} nodes={NODES} types={new Map()} timezone="Asia/Tokyo" canWrite={false} />,
      inConsole,
    );
    await screen.findByRole("table");
    expect(screen.queryByRole("button", { name: "選んだ友だちを停止" })).toBeNull();
    expect(screen.queryByRole("checkbox")).toBeNull();
  });
});

describe("publishing", () => {
  it("asks with the steps that change, by name, and whom it concerns", async () => {
    const onPublish = vi.fn();
    render(
      <PublishConfirm
        preview={{
          first_publish: false,
          added: [{ node_id: "n-send", title: { ja: "送る", en: "Send" } }],
          removed: [{ node_id: "gone", title: { ja: "古いタグ", en: "Old tag" } }],
          changed: [],
          edges_changed: true,
          settings_changed: false,
          live_runs: 12,
          problems: 0,
        }}
        titleOf={(id) => NODES.find((n) => n.id === id)?.data.label}
        busy={false}
        onPublish={onPublish}
        onCancel={vi.fn()}
      />,
      inConsole,
    );
    const dialog = await screen.findByRole("dialog", { name: "公開の確認" });
    expect(within(dialog).getByText("追加されるステップ: お礼を送る")).toBeTruthy();
    expect(within(dialog).getByText("削除されるステップ: 古いタグ")).toBeTruthy();
    expect(within(dialog).getByText(/いま参加中の 12人/)).toBeTruthy();
    fireEvent.click(within(dialog).getByRole("button", { name: "公開する" }));
    expect(onPublish).toHaveBeenCalled();
  });
});

describe("a friend's scenarios", () => {
  const runs: FriendRun[] = [
    {
      run_id: 7, scenario_id: 5, scenario_name: "ようこそ", status: "waiting",
      step: { node_id: "n-send", title: { ja: "お礼を送る", en: "Thanks" }, at: "2026-12-01T14:00:00Z", reason: null },
      last_sent: null,
      next: { node_id: "n-send", title: { ja: "お礼を送る", en: "Thanks" }, at: "2026-12-01T23:00:00Z", reason: "quiet_hours" },
      started_at: "2026-12-01T13:00:00Z", ended_at: null,
    },
    {
      run_id: 3, scenario_id: 6, scenario_name: "誕生日", status: "stopped",
      step: { node_id: "x", title: { ja: "クーポン", en: "Coupon" }, at: null, reason: null },
      last_sent: { node_id: "y", title: { ja: "お祝い", en: "Congrats" }, at: "2026-11-30T01:00:00Z", reason: null },
      next: null, started_at: "2026-11-29T13:00:00Z", ended_at: "2026-11-30T02:00:00Z",
    },
  ];

  it("shows the step, the next send held by quiet hours, and stops and restarts", async () => {
    const posts: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      if (init?.method === "POST") posts.push(String(input));
      return json(init?.method === "POST" ? {} : runs);
    });
    render(<FriendScenarios workspaceId={3} friendId={9} timezone="Asia/Tokyo" canWrite />, inConsole);
    const welcome = await screen.findByRole("listitem", { name: "ようこそ" });
    expect(within(welcome).getByRole("note").textContent).toMatch(/ 0?8:00 に送信予定: 配信しない時間帯/);
    const birthday = screen.getByRole("listitem", { name: "誕生日" });
    expect(within(birthday).getByText(/お祝い/)).toBeTruthy();

    fireEvent.click(within(birthday).getByRole("button", { name: "再開" }));
    await waitFor(() => expect(posts).toEqual(["/api/workspaces/3/scenarios/6/runs/3/restart"]));
    fireEvent.click(within(welcome).getByRole("button", { name: "停止" }));
    const confirm = await screen.findByRole("tooltip");
    fireEvent.click(within(confirm).getByRole("button", { name: "停止" }));
    await waitFor(() => expect(posts).toContain("/api/workspaces/3/scenarios/5/runs/7/stop"));
  });

  it("offers no stop or restart to a viewer", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => json(runs));
    render(<FriendScenarios workspaceId={3} friendId={9} timezone="Asia/Tokyo" canWrite={false} />, inConsole);
    await screen.findByRole("listitem", { name: "ようこそ" });
    expect(screen.queryByRole("button", { name: "停止" })).toBeNull();
    expect(screen.queryByRole("button", { name: "再開" })).toBeNull();
  });
});
