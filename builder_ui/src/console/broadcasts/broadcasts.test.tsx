import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { forgetLookups } from "../../forms/pickers";
import type { WorkspaceAccess } from "../../types";
import { BroadcastComposer } from "./BroadcastComposer";
import { BroadcastList } from "./BroadcastList";
import { actionsFor, BroadcastPage, pollDelay } from "./BroadcastPage";
import { EVERYONE, scheduledAt, sendBlock, sortProblems, targetOf, testRecipient } from "./compose";
import type { Broadcast, Estimate } from "./types";
import { inConsole } from "../../test/router";

const access: WorkspaceAccess = {
  workspace: { id: 3, name: "縁カフェ", timezone: "Asia/Tokyo" },
  role: "owner",
  permissions: ["core.write", "core.broadcast"],
  enabled_plugins: ["tags"],
};

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status });

function estimate(patch: Partial<Estimate> = {}): Estimate {
  return {
    recipients: 120,
    delivery: "multicast",
    requests: 1,
    sendable: 120,
    fits: true,
    quota: { known: true, type: "limited", limit: 1000, consumption: 0, reserved: 0, remaining: 1000, stale: false, held: false, error: null },
    plan: { key: "pro", name: { ja: "プロ", en: "Pro" }, monthly_messages: null, used: null, reserved: 0, remaining: null },
    warnings: [],
    audience_note: { ja: "配信対象は送信開始時に確定します。", en: "fixed when sending starts" },
    ...patch,
  };
}

function broadcast(patch: Partial<Broadcast> = {}): Broadcast {
  return {
    id: 5,
    name: "冬のセール",
    status: "sending",
    delivery: "multicast",
    messages: [{ type: "text", text: "セール開催中" }],
    target: { segment: { all: [] } },
    allow_partial: false,
    scheduled_at: null,
    send_at: "2026-11-27T01:00:00Z",
    send_at_local: "2026-11-27T10:00:00+09:00",
    timezone: "Asia/Tokyo",
    audience_note: { ja: "", en: "" },
    estimated_recipients: 10,
    limited_to: null,
    progress: { total: 10, written: 10, sent: 4, failed: 1, cancelled: 0, remaining: 5, percent: 50, rate_per_second: 2, estimated_finish_at: "2026-11-27T01:00:03Z" },
    held: false,
    error: null,
    created_at: "2026-11-27T01:00:00Z",
    started_at: "2026-11-27T01:00:00Z",
    paused_at: null,
    finished_at: null,
    ...patch,
  };
}

afterEach(() => {
  vi.restoreAllMocks();
  forgetLookups();
});

describe("composing", () => {
  it("sends only the parts of the audience that say something", () => {
    const tagged = { all: [{ type: "tags.has_tag", config: { tag_ids: [1] } }] };
    expect(targetOf(EVERYONE)).toEqual({});
    expect(targetOf({ ...EVERYONE, kind: "segment", segment: tagged })).toEqual({ segment: tagged });
    expect(targetOf({ ...EVERYONE, kind: "segment", segment: { all: [] } })).toEqual({});
    expect(targetOf({ ...EVERYONE, kind: "saved", savedId: 4, exclude: tagged, segment: tagged })).toEqual({ saved_segment_id: 4, exclude: tagged });
  });
  it("puts the server's problems where they belong", () => {
    const sorted = sortProblems([
      { path: "$.messages[0].text", message: "empty" },
      { path: "$.target.segment.all[0].config.tag_ids", message: "no such tag" },
      { path: "$.target.exclude", message: "bad" },
      { path: "$.scheduled_at", message: "past" },
    ]);
    expect(sorted.messages.map((p) => p.path)).toEqual(["$.messages[0].text"]);
    expect(sorted.segment.map((p) => p.path)).toEqual(["$.all[0].config.tag_ids"]);
    expect(sorted.exclude.map((p) => p.path)).toEqual(["$"]);
    expect(sorted.other.map((p) => p.path)).toEqual(["$.scheduled_at"]);
  });
  it("refuses to send now what cannot all go out, unless a partial send is asked for", () => {
    const over = estimate({ fits: false, sendable: 80 });
    expect(sendBlock(estimate(), false, false)).toBeNull();
    expect(sendBlock(estimate({ recipients: 0, sendable: 0 }), false, false)).toBe("no_recipients");
    expect(sendBlock(over, false, false)).toBe("partial_unchecked");
    expect(sendBlock(over, false, true)).toBeNull();
    expect(sendBlock(estimate({ fits: false, sendable: 0 }), false, true)).toBe("over_quota");
    expect(sendBlock(over, true, false)).toBeNull(); // checked again when it starts
  });
  it("reads the schedule and the test recipient", () => {
    expect(scheduledAt("2026-12-01T10:30")).toBe("2026-12-01T10:30:00");
    expect(scheduledAt("")).toBeNull();
    expect(testRecipient({ friend_id: 42, user_line_id: "U" + "a".repeat(32), name: "あおい", simulated: false })).toEqual({ friend_id: 42 });
    expect(testRecipient({ friend_id: null, user_line_id: "U" + "a".repeat(32), name: "シミュ", simulated: true })).toEqual({
      user_line_id: "U" + "a".repeat(32),
    });
    expect(testRecipient(null)).toBeNull();
  });
});

describe("composer", () => {
  it("shows the live count, asks for a partial send when the quota is short, and sends with an idempotency key", async () => {
    let fits = true;
    const posts: { url: string; body: unknown; headers: Record<string, string> }[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const url = String(input);
      if (init?.method === "POST") posts.push({ url, body: JSON.parse(String(init.body)), headers: init.headers as Record<string, string> });
      if (url.endsWith("/catalog")) return json({ node_types: [], reports: [], friend_fields: [] });
      if (url.endsWith("/friends/tabs")) return json([{ id: 4, name: "常連", problems: [] }]);
      if (url.endsWith("/broadcasts/estimate")) return json(fits ? estimate() : estimate({ fits: false, sendable: 80, warnings: [{ code: "quota", message: "残り80通 / 80 left" }] }));
      if (url.includes("/broadcasts/test-recipients")) return json([]);
      if (url.endsWith("/broadcasts")) return json({ broadcast: broadcast({ id: 9 }), estimate: estimate() }, 201);
      return json({});
    });
    render(<BroadcastComposer access={access} />, inConsole);
    expect(await screen.findByText("120人に配信")).toBeTruthy();
    expect(posts.find((p) => p.url.endsWith("/estimate"))!.body).toMatchObject({ target: {} });

    fits = false;
    fireEvent.click(screen.getByLabelText("保存した絞り込み", { selector: "input" }));
    // The saved segment is picked in its list, as a person does.
    fireEvent.mouseDown(await screen.findByRole("combobox", { name: "保存した絞り込み" }));
    fireEvent.click(await screen.findByText("常連", { selector: ".ant-select-item-option-content" }));
    const partial = await screen.findByLabelText("送れる80人にだけ送る（残りには送りません）");
    expect(screen.getByText("残り80通")).toBeTruthy();
    expect(posts[posts.length - 1].body).toMatchObject({ target: { saved_segment_id: 4 } });

    fireEvent.change(screen.getByLabelText("配信名（管理用）"), { target: { value: "冬のセール" } });
    fireEvent.change(screen.getByLabelText("本文"), { target: { value: "セール開催中" } });
    const send = screen.getByRole("button", { name: "今すぐ配信する" }) as HTMLButtonElement;
    expect(send.disabled).toBe(true);
    fireEvent.click(partial);
    await waitFor(() => expect(send.disabled).toBe(false));
    fireEvent.click(send);
    // Nothing goes before the person has seen to how many, with how much quota left, and what.
    const dialog = await screen.findByRole("dialog", { name: "この内容で配信しますか？" });
    expect(within(dialog).getByText("80人に配信")).toBeTruthy();
    expect(within(dialog).getByText("1,000")).toBeTruthy();
    expect(within(dialog).getByText("セール開催中")).toBeTruthy();
    fireEvent.click(within(dialog).getByRole("button", { name: "戻る" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(posts.some((p) => p.url.endsWith("/broadcasts"))).toBe(false);

    fireEvent.click(send);
    fireEvent.click(within(await screen.findByRole("dialog")).getByRole("button", { name: "配信する" }));
    await waitFor(() => expect(window.location.pathname).toBe("/w/3/broadcasts/9"));
    const created = posts.find((p) => p.url.endsWith("/broadcasts"))!;
    expect(created.body).toEqual({
      name: "冬のセール",
      messages: [{ type: "text", text: "セール開催中" }],
      target: { saved_segment_id: 4 },
      scheduled_at: null,
      allow_partial: true,
    });
    expect(created.headers["Idempotency-Key"]).toBeTruthy();
  });
});

describe("composer problems", () => {
  it("shows the messages' problems once they are edited, and still counts the friends", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const url = String(input);
      if (url.endsWith("/catalog")) return json({ node_types: [], reports: [], friend_fields: [] });
      if (url.endsWith("/friends/tabs")) return json([]);
      if (url.includes("/broadcasts/test-recipients")) return json([]);
      if (url.endsWith("/broadcasts/estimate")) {
        const body = JSON.parse(String(init?.body)) as { messages?: { text: string }[] };
        if (body.messages && !body.messages[0].text)
          return json({ error: "invalid", message: "invalid", errors: [{ path: "$.messages[0].text", message: "本文を入れてください" }] }, 422);
        return json(estimate());
      }
      return json({});
    });
    render(<BroadcastComposer access={access} />, inConsole);
    expect(await screen.findByText("120人に配信")).toBeTruthy();
    expect(screen.queryByText(/本文を入れてください/)).toBeNull();
    fireEvent.change(screen.getByLabelText("本文"), { target: { value: "a" } });
    fireEvent.change(screen.getByLabelText("本文"), { target: { value: "" } });
    // Where, in words (never the JSON path), and what.
    expect(await screen.findByText("メッセージ 1件目 › テキスト: 本文を入れてください", undefined, { timeout: 3000 })).toBeTruthy();
    expect(screen.getByText("120人に配信")).toBeTruthy();
  });
});

describe("a broadcast's page", () => {
  it("knows what can be done and how often to look", () => {
    expect(actionsFor("sending")).toEqual(["pause", "cancel"]);
    expect(actionsFor("paused")).toEqual(["resume", "cancel"]);
    expect(actionsFor("completed")).toEqual([]);
    expect(pollDelay("sending")).toBe(1000);
    expect(pollDelay("completed")).toBeNull();
  });

  it("shows the progress, follows it to the end and can pause", async () => {
    let current = broadcast();
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const url = String(input);
      if (url.includes("/test-recipients")) return json([]);
      if (url.includes("/recipients")) return json({ items: [], next: null });
      if (url.endsWith("/catalog")) return json({ node_types: [], reports: [], friend_fields: [] });
      if (init?.method === "POST" && url.endsWith("/pause")) {
        current = broadcast({ status: "paused" });
        return json(current);
      }
      return json(current);
    });
    render(<BroadcastPage access={access} broadcastId={5} />, inConsole);
    const bar = await screen.findByRole("progressbar", { name: "配信の進み具合" });
    expect(bar.getAttribute("aria-valuenow")).toBe("50");
    expect(bar.getAttribute("aria-valuetext")).toBe("50%");
    expect(screen.getByText("50%")).toBeTruthy();
    expect(screen.getByTestId("sent").textContent).toBe("4");
    expect(screen.getByTestId("remaining").textContent).toBe("5");
    expect(screen.getByText("終了見込み")).toBeTruthy();

    fireEvent.click(screen.getByRole("button", { name: "一時停止" }));
    expect(await screen.findByRole("button", { name: "再開" })).toBeTruthy();
    expect(screen.getByText("一時停止中")).toBeTruthy();

    current = broadcast({ status: "completed", progress: { ...broadcast().progress, sent: 9, failed: 1, remaining: 0, percent: 100 }, finished_at: "2026-11-27T01:00:05Z" });
    await waitFor(() => expect(bar.getAttribute("aria-valuenow")).toBe("100"), { timeout: 5000 });
    expect(screen.queryByRole("button", { name: "再開" })).toBeNull();
  });
});

describe("the history", () => {
  it("lists the broadcasts in a named table, one row header each, pages on and filters by status", async () => {
    const asked: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
      const url = String(input);
      asked.push(url);
      if (url.endsWith("/broadcasts/drafts")) return json([]);
      if (url.includes("after=")) return json({ items: [broadcast({ id: 4, name: "秋のセール", status: "completed" })], next: null });
      return json({ items: [broadcast({ status: "completed", progress: { ...broadcast().progress, sent: 9, failed: 1 } })], next: "x" });
    });
    render(<BroadcastList access={access} />, inConsole);
    const table = await screen.findByRole("table", { name: "配信履歴" });
    const header = within(table).getByRole("rowheader", { name: "冬のセール" });
    expect(within(header).getByRole("link", { name: "冬のセール" }).getAttribute("href")).toBe("/w/3/broadcasts/5");
    expect(within(table).getByText("完了")).toBeTruthy();
    expect(within(table).getByText("成功 9 / 失敗 1")).toBeTruthy();
    expect(screen.getByRole("link", { name: "新しい配信" }).getAttribute("href")).toBe("/w/3/broadcasts/new");

    fireEvent.click(screen.getByRole("button", { name: "さらに表示" }));
    expect(await within(table).findByRole("rowheader", { name: "秋のセール" })).toBeTruthy();
    expect(screen.queryByRole("button", { name: "さらに表示" })).toBeNull();

    fireEvent.mouseDown(screen.getByRole("combobox", { name: "状態" }));
    fireEvent.click(await screen.findByText("中止", { selector: ".ant-select-item-option-content" }));
    await waitFor(() => expect(asked[asked.length - 1]).toContain("status=cancelled"));
  });
});
