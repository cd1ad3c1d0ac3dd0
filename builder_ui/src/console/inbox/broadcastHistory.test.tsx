import { render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { inConsole } from "../../test/router";
import { queryClient } from "../../query";
import type { WorkspaceAccess } from "../../types";
import { asChatMessage, interleave, type ReceivedBroadcast } from "./broadcastHistory";
import { ChatThread } from "./ChatThread";
import type { ChatMessage } from "./types";

const access: WorkspaceAccess = {
  workspace: { id: 3, name: "縁カフェ", timezone: "Asia/Tokyo" },
  role: "owner",
  permissions: ["core.write"],
  enabled_plugins: [],
};

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status });

function message(id: number, at: string, text: string): ChatMessage {
  return {
    id,
    direction: "in",
    kind: "text",
    text,
    body: { type: "text", text },
    source: "line",
    occurred_at: at,
    sent_by_user_id: null,
    sent_by_name: null,
    delivery: null,
    delivery_error: null,
  };
}

const SALE: ReceivedBroadcast = {
  key: "broadcast:5:0",
  broadcast_id: 5,
  broadcast_name: "冬のセール",
  kind: "text",
  text: "セール開催中",
  body: { type: "text", text: "セール開催中" },
  occurred_at: "2026-11-27T02:00:00Z",
  delivery: "accepted",
};

class QuietSource {
  readyState = 1;
  addEventListener() {}
  close() {}
}

beforeEach(() => {
  (globalThis as unknown as { EventSource: unknown }).EventSource = QuietSource;
});
afterEach(() => {
  vi.restoreAllMocks();
  queryClient.clear();
});

describe("broadcasts in the talk", () => {
  it("places a broadcast's messages by time among the conversation's, marked with its name", () => {
    const before = message(1, "2026-11-27T01:00:00Z", "こんにちは");
    const after = message(2, "2026-11-27T03:00:00Z", "行きます！");
    const shown = interleave([before, after], [asChatMessage(SALE, "一斉配信")]);
    expect(shown.map((m) => m.text)).toEqual(["こんにちは", "セール開催中", "行きます！"]);
    expect(shown[1]).toMatchObject({ direction: "out", source: "broadcast", sent_by_name: "一斉配信「冬のセール」", id: 0 });
  });

  it("shows the broadcasts a friend received as sent messages with the broadcast's name, and reads past them", async () => {
    const asked: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const url = String(input);
      asked.push(`${init?.method ?? "GET"} ${url}`);
      if (url.includes("/broadcasts")) return json([SALE]);
      if (url.includes("/read")) return json({});
      return json({ items: [message(2, "2026-11-27T03:00:00Z", "行きます！"), message(1, "2026-11-27T01:00:00Z", "こんにちは")], next: null });
    });
    render(<ChatThread access={access} friendId={7} />, inConsole);
    const list = await screen.findByRole("list", { name: "メッセージ" });
    await waitFor(() => expect(within(list).getByText("セール開催中")).toBeTruthy());
    const rows = within(list).getAllByRole("listitem").map((li) => li.textContent ?? "");
    expect(rows[0]).toContain("こんにちは");
    expect(rows[1]).toContain("セール開催中");
    expect(rows[1]).toContain("一斉配信「冬のセール」");
    expect(rows[1]).toContain("送信済み");
    expect(rows[2]).toContain("行きます！");
    // Everything was read from the whole history (no older page), and the read marker is the conversation's own.
    expect(asked).toContain("GET /api/workspaces/3/inbox/friends/7/broadcasts");
    await waitFor(() => expect(asked.some((a) => a.startsWith("PUT") && a.endsWith("/inbox/friends/7/read"))).toBe(true));
  });
});
