import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { subscribeInbox } from "./live";

class FakeSource {
  static all: FakeSource[] = [];
  static CLOSED = 2;
  readyState = 1;
  listeners = new Map<string, ((e: MessageEvent) => void)[]>();
  onerror: (() => void) | null = null;
  constructor(public url: string) {
    FakeSource.all.push(this);
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

beforeEach(() => {
  FakeSource.all = [];
  (globalThis as unknown as { EventSource: unknown }).EventSource = FakeSource;
  vi.useFakeTimers();
});
afterEach(() => vi.useRealTimers());

describe("inbox stream", () => {
  it("shares one connection per workspace and closes it with the last listener", () => {
    const a = vi.fn();
    const b = vi.fn();
    const stopA = subscribeInbox(3, a);
    const stopB = subscribeInbox(3, b);
    expect(FakeSource.all).toHaveLength(1);
    expect(FakeSource.all[0].url).toBe("/api/workspaces/3/inbox/stream");
    const update = { cursor: 12, updates: [{ friend_id: 7, last_message_id: 12, new_messages: 1, new_inbound: 1 }] };
    FakeSource.all[0].emit("conversations", update);
    expect(a).toHaveBeenCalledWith(update);
    expect(b).toHaveBeenCalledWith(update);
    stopA();
    expect(FakeSource.all[0].readyState).toBe(1);
    stopB();
    expect(FakeSource.all[0].readyState).toBe(2);
  });

  it("opens again after the server refused, from the last event seen, and tells listeners to catch up", () => {
    const listener = vi.fn();
    const stop = subscribeInbox(4, listener);
    const first = FakeSource.all[0];
    first.emit("ready", { cursor: 20, updates: [] });
    first.emit("conversations", { cursor: 25, updates: [] });
    // A dropped connection the browser retries by itself: nothing to do.
    first.readyState = 0;
    first.onerror?.();
    vi.advanceTimersByTime(5000);
    expect(FakeSource.all).toHaveLength(1);
    // Given up (e.g. a 502 from a proxy): we open it again, after a pause, from the cursor.
    first.readyState = 2;
    first.onerror?.();
    vi.advanceTimersByTime(999);
    expect(FakeSource.all).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeSource.all).toHaveLength(2);
    expect(FakeSource.all[1].url).toBe("/api/workspaces/4/inbox/stream?after=25");
    listener.mockClear();
    FakeSource.all[1].emit("ready", { cursor: 25, updates: [] });
    expect(listener).toHaveBeenCalledWith({ cursor: 25, updates: [] });
    stop();
  });
});
