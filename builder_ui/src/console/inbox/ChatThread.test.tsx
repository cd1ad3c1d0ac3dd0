import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { inConsole } from "../../test/router";
import type { WorkspaceAccess } from "../../types";
import { ChatThread, mergeMessages, unsettled } from "./ChatThread";
import type { ChatMessage } from "./types";

const access: WorkspaceAccess = {
  workspace: { id: 3, name: "縁カフェ", timezone: "Asia/Tokyo" },
  role: "owner",
  permissions: ["core.write"],
  enabled_plugins: [],
};

function message(id: number, patch: Partial<ChatMessage> = {}): ChatMessage {
  return {
    id,
    direction: "in",
    kind: "text",
    text: `m${id}`,
    body: { type: "text", text: `m${id}` },
    source: "line",
    occurred_at: "2026-11-27T01:00:00Z",
    sent_by_user_id: null,
    sent_by_name: null,
    delivery: null,
    delivery_error: null,
    ...patch,
  };
}

// A stand-in EventSource the test can speak through.
class FakeSource {
  static last: FakeSource | null = null;
  static CLOSED = 2;
  readyState = 1;
  url: string;
  listeners = new Map<string, ((e: MessageEvent) => void)[]>();
  onerror: (() => void) | null = null;
  constructor(url: string) {
    this.url = url;
    FakeSource.last = this;
  }
  addEventListener(type: string, fn: (e: MessageEvent) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  emit(type: string, data: unknown) {
    for (const fn of this.listeners.get(type) ?? []) fn(new MessageEvent(type, { data: JSON.stringify(data) }));
  }
  close() {
    this.readyState = 2;
  }
}

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status });

beforeEach(() => {
  (globalThis as unknown as { EventSource: unknown }).EventSource = FakeSource;
});
afterEach(() => {
  vi.restoreAllMocks();
  FakeSource.last = null;
});

describe("message lists", () => {
  it("merges by id, oldest first, newer copies winning", () => {
    const merged = mergeMessages([message(2), message(1)], [message(2, { text: "new" }), message(3)]);
    expect(merged.map((m) => [m.id, m.text])).toEqual([
      [1, "m1"],
      [2, "new"],
      [3, "m3"],
    ]);
  });
  it("knows when a reply is still on its way", () => {
    expect(unsettled([message(1), message(2, { direction: "out", delivery: "accepted" })])).toBe(false);
    expect(unsettled([message(2, { direction: "out", delivery: "pending" })])).toBe(true);
  });
});

describe("chat thread", () => {
  it("shows the conversation, marks it read, and shows new messages as they come", async () => {
    let history = [message(2, { direction: "out", source: "scenario", delivery: "accepted", text: "ようこそ" }), message(1, { text: "こんにちは" })];
    const calls: [string, string, unknown][] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (url, init) => {
      if (String(url).includes("/broadcasts")) return json([]); // none received
      calls.push([init?.method ?? "GET", String(url), init?.body ? JSON.parse(String(init.body)) : null]);
      if (String(url).includes("/read")) return json({ last_read_message_id: 3 });
      return json({ items: history, next: null });
    });
    render(<ChatThread access={access} friendId={7} />, inConsole);
    const list = await screen.findByRole("list", { name: "メッセージ" });
    await within(list).findByText("こんにちは");
    expect(within(list).getByText("ようこそ")).toBeTruthy();
    expect(within(list).getByText("送信済み")).toBeTruthy();
    await waitFor(() => expect(calls).toContainEqual(["PUT", "/api/workspaces/3/inbox/friends/7/read", { last_read_message_id: 2 }]));

    history = [message(3, { text: "予約したいです" }), ...history];
    act(() => FakeSource.last!.emit("conversations", { cursor: 3, updates: [{ friend_id: 7, last_message_id: 3, new_messages: 1, new_inbound: 1 }] }));
    await within(list).findByText("予約したいです");
    await waitFor(() => expect(calls).toContainEqual(["PUT", "/api/workspaces/3/inbox/friends/7/read", { last_read_message_id: 3 }]));
  });

  it("sends a reply, shows it queued, then sent", async () => {
    const sent = message(5, { direction: "out", source: "staff", sent_by_name: "店長", text: "承知しました", delivery: "pending" });
    let history: ChatMessage[] = [message(4, { text: "質問です" })];
    let posted: unknown = null;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (url, init) => {
      if (String(url).includes("/broadcasts")) return json([]); // none received
      if (init?.method === "POST") {
        posted = JSON.parse(String(init.body));
        history = [sent, ...history];
        return json({ request_id: 1, kind: "reply", status: "pending", messages: [sent] }, 202);
      }
      if (String(url).includes("/read")) return json({ last_read_message_id: 4 });
      return json({ items: history, next: null });
    });
    render(<ChatThread access={access} friendId={7} />, inConsole);
    await screen.findByText("質問です");
    fireEvent.change(screen.getByLabelText("返信"), { target: { value: "承知しました" } });
    fireEvent.click(screen.getByRole("button", { name: "送信" }));
    await screen.findByText("送信待ち");
    expect(posted).toMatchObject({ messages: [{ type: "text", text: "承知しました" }] });
    expect((posted as { idempotency_key: string }).idempotency_key.length).toBeGreaterThanOrEqual(8);
    expect((screen.getByLabelText("返信") as HTMLTextAreaElement).value).toBe("");
    history = [{ ...sent, delivery: "accepted" }, ...history.slice(1)];
    await screen.findByText("送信済み", undefined, { timeout: 4000 });
  });

  it("keeps the text and says why when a reply is refused", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async (url, init) => {
      if (String(url).includes("/broadcasts")) return json([]); // none received
      if (init?.method === "POST") return json({ error: "blocked", message: "この友だちはブロック中のため送信できません", errors: [] }, 409);
      return json({ items: [message(1)], next: null });
    });
    render(<ChatThread access={{ ...access, permissions: ["core.write"] }} friendId={7} />, inConsole);
    await screen.findByText("m1");
    fireEvent.change(screen.getByLabelText("返信"), { target: { value: "こんにちは" } });
    fireEvent.click(screen.getByRole("button", { name: "送信" }));
    expect((await screen.findByRole("alert")).textContent).toContain("ブロック中");
    expect((screen.getByLabelText("返信") as HTMLTextAreaElement).value).toBe("こんにちは");
  });

  it("shows postbacks as a line of their own and has no reply box for read-only staff", async () => {
    vi.spyOn(globalThis, "fetch").mockResolvedValue(
      json({ items: [message(1, { kind: "postback", text: "a=1", body: { data: "a=1", displayText: "予約する" } })], next: null }),
    );
    render(<ChatThread access={{ ...access, permissions: [] }} friendId={7} />, inConsole);
    await screen.findByText("ボタンをタップ: 予約する");
    expect(screen.queryByLabelText("返信")).toBeNull();
  });

  it("loads older messages above the newest; another friend's thread shows only theirs", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async (url) => {
      if (String(url).includes("/broadcasts")) return json([]); // none received
      const u = String(url);
      if (u.includes("/read")) return json({});
      if (u.includes("before=c1")) return json({ items: [message(1, { text: "昔の話" })], next: null });
      if (u.includes("/friends/8/")) return json({ items: [message(9, { text: "別の人" })], next: null });
      return json({ items: [message(2, { text: "最近の話" })], next: "c1" });
    });
    const { rerender } = render(<ChatThread access={access} friendId={7} />, inConsole);
    await screen.findByText("最近の話");
    fireEvent.click(screen.getByRole("button", { name: "以前のメッセージ" }));
    await screen.findByText("昔の話");
    expect(screen.getByText("最近の話")).toBeTruthy();
    expect(screen.queryByRole("button", { name: "以前のメッセージ" })).toBeNull();

    rerender(<ChatThread access={access} friendId={8} />);
    await screen.findByText("別の人");
    expect(screen.queryByText("最近の話")).toBeNull();
    expect(screen.queryByText("昔の話")).toBeNull();
  });

  it("keeps an older page being read when news comes meanwhile, and shows the news after it", async () => {
    let history = [message(2, { text: "最近の話" })];
    let releaseOlder: (() => void) | null = null;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (url) => {
      if (String(url).includes("/broadcasts")) return json([]); // none received
      const u = String(url);
      if (u.includes("/read")) return json({});
      if (u.includes("before=c1")) {
        if (!releaseOlder) await new Promise<void>((resolve) => (releaseOlder = resolve)); // the first time: slow
        return json({ items: [message(1, { text: "昔の話" })], next: null });
      }
      return json({ items: history, next: "c1" });
    });
    render(<ChatThread access={access} friendId={7} />, inConsole);
    await screen.findByText("最近の話");
    fireEvent.click(screen.getByRole("button", { name: "以前のメッセージ" }));
    await waitFor(() => expect(releaseOlder).not.toBeNull());
    history = [message(3, { text: "新しい話" }), ...history];
    act(() => FakeSource.last!.emit("conversations", { cursor: 3, updates: [{ friend_id: 7, last_message_id: 3, new_messages: 1, new_inbound: 1 }] }));
    act(() => releaseOlder!());
    await screen.findByText("昔の話");
    await screen.findByText("新しい話");
  });

  it("shows a picture once the server has fetched it from LINE", async () => {
    let asked = 0;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (url) => {
      if (String(url).includes("/broadcasts")) return json([]); // none received
      const u = String(url);
      if (u.includes("/content")) return ++asked < 2 ? new Response(null, { status: 202 }) : new Response(new Blob(["png"]), { status: 200 });
      return json({ items: [message(1, { kind: "image", text: null, body: { type: "image" } })], next: null });
    });
    const jsdomUrl = { createObjectURL: URL.createObjectURL, revokeObjectURL: URL.revokeObjectURL };
    Object.assign(URL, { createObjectURL: () => "blob:picture", revokeObjectURL: () => undefined });
    try {
      const { unmount } = render(<ChatThread access={{ ...access, permissions: [] }} friendId={7} />, inConsole);
      await screen.findByText("画像を取得中…");
      const picture = await screen.findByRole("img", { name: "画像" }, { timeout: 3000 });
      expect(picture.getAttribute("src")).toBe("blob:picture");
      expect(asked).toBe(2);
      unmount();
    } finally {
      Object.assign(URL, jsdomUrl);
    }
  });
});
