import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { WorkspaceAccess } from "../../types";
import { inConsole } from "../../test/router";
import { queryClient } from "../../query";
import { BroadcastComposer } from "./BroadcastComposer";
import { actionsFor, BroadcastPage } from "./BroadcastPage";
import { audienceOf } from "./compose";
import { Drafts } from "./Drafts";
import type { Broadcast, Draft, Estimate, TestRecipient } from "./types";

const access: WorkspaceAccess = {
  workspace: { id: 3, name: "縁カフェ", timezone: "Asia/Tokyo" },
  role: "owner",
  permissions: ["core.write", "core.broadcast"],
  enabled_plugins: ["tags"],
};

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status });

const ESTIMATE: Estimate = {
  recipients: 12,
  delivery: "multicast",
  requests: 1,
  sendable: 12,
  fits: true,
  quota: { known: true, type: "limited", limit: 1000, consumption: 0, reserved: 0, remaining: 1000, stale: false, held: false, error: null },
  plan: { key: "pro", name: { ja: "プロ", en: "Pro" }, monthly_messages: null, used: null, reserved: 0, remaining: null },
  warnings: [],
  audience_note: { ja: "", en: "" },
};

const PEOPLE: TestRecipient[] = [
  { friend_id: 21, user_line_id: "U" + "1".repeat(32), name: "店長のLINE", simulated: false },
  { friend_id: null, user_line_id: "U" + "2".repeat(32), name: "デモ花子", simulated: true },
];

const DRAFT: Draft = {
  id: 7,
  name: "春の案内",
  messages: [{ type: "text", text: "春メニュー始まります" }],
  target: { saved_segment_id: 4 },
  scheduled_at: "2030-01-02T00:30:00Z",
  scheduled_at_local: "2030-01-02T09:30",
  allow_partial: false,
  created_at: "2026-12-01T00:00:00Z",
  updated_at: "2026-12-02T00:00:00Z",
};

interface Call {
  method: string;
  url: string;
  body: unknown;
}

function server(extra: (call: Call) => Response | null = () => null): Call[] {
  const calls: Call[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const call = { method: init?.method ?? "GET", url: String(input), body: init?.body ? JSON.parse(String(init.body)) : null };
    calls.push(call);
    const answer = extra(call);
    if (answer) return answer;
    const url = call.url;
    if (url.endsWith("/catalog")) return json({ node_types: [], reports: [], friend_fields: [] });
    if (url.endsWith("/friends/tabs")) return json([{ id: 4, name: "常連", problems: [] }]);
    if (url.endsWith("/broadcasts/estimate")) return json(ESTIMATE);
    if (url.includes("/broadcasts/test-recipients")) return json(PEOPLE);
    return json({});
  });
  return calls;
}

afterEach(() => {
  vi.restoreAllMocks();
  queryClient.clear();
});

describe("drafts", () => {
  it("reads a stored target back as the audience it was", () => {
    expect(audienceOf({ saved_segment_id: 4 })).toMatchObject({ kind: "saved", savedId: 4 });
    expect(audienceOf({ segment: { all: [] }, exclude: { all: [] } })).toMatchObject({ kind: "segment", exclude: { all: [] } });
    expect(audienceOf(undefined)).toMatchObject({ kind: "all", exclude: null });
  });

  it("saves an unfinished broadcast as a draft and goes to the draft's own address", async () => {
    const calls = server((c) => (c.method === "POST" && c.url.endsWith("/broadcasts/drafts") ? json({ ...DRAFT, id: 8, name: "途中" }, 201) : null));
    render(<BroadcastComposer access={access} />, inConsole);
    fireEvent.change(screen.getByLabelText("配信名（管理用）"), { target: { value: "途中" } });
    fireEvent.click(screen.getByRole("button", { name: "下書き保存" }));
    await waitFor(() => expect(window.location.pathname).toBe("/w/3/broadcasts/drafts/8"));
    const saved = calls.find((c) => c.method === "POST" && c.url.endsWith("/broadcasts/drafts"))!;
    expect(saved.body).toEqual({ name: "途中", messages: [{ type: "text", text: "" }], target: {}, scheduled_at: null, allow_partial: false });
    expect(calls.some((c) => c.method === "POST" && c.url.endsWith("/broadcasts"))).toBe(false); // nothing sent
  });

  it("opens a draft with what was saved, saves it again in place, and sends it as itself", async () => {
    const calls = server((c) => {
      if (c.method === "PUT") return json({ ...DRAFT, name: "春の案内（改）" });
      if (c.method === "POST" && c.url.endsWith("/broadcasts")) return json({ broadcast: { id: 11 } }, 201);
      return null;
    });
    render(<BroadcastComposer access={access} draft={DRAFT} />, inConsole);
    expect((screen.getByLabelText("配信名（管理用）") as HTMLInputElement).value).toBe("春の案内");
    expect((screen.getByLabelText("本文") as HTMLTextAreaElement).value).toBe("春メニュー始まります");
    expect((screen.getByLabelText("日時を指定して予約", { selector: "input" }) as HTMLInputElement).checked).toBe(true);

    fireEvent.change(screen.getByLabelText("配信名（管理用）"), { target: { value: "春の案内（改）" } });
    fireEvent.click(screen.getByRole("button", { name: "下書き保存" }));
    expect(await screen.findByText("下書きを保存しました")).toBeTruthy();
    const put = calls.find((c) => c.method === "PUT")!;
    expect(put.url).toBe("/api/workspaces/3/broadcasts/drafts/7");
    expect(put.body).toMatchObject({ name: "春の案内（改）", target: { saved_segment_id: 4 }, scheduled_at: "2030-01-02T09:30:00" });

    await screen.findByText("12人に配信");
    fireEvent.click(screen.getByRole("button", { name: "予約する" }));
    const dialog = await screen.findByRole("dialog", { name: "この内容で予約しますか？" });
    expect(within(dialog).getByText("2030-01-02 09:30（Asia/Tokyo）")).toBeTruthy();
    fireEvent.click(within(dialog).getByRole("button", { name: "予約する" }));
    await waitFor(() => expect(window.location.pathname).toBe("/w/3/broadcasts/11"));
    expect(calls.find((c) => c.method === "POST" && c.url.endsWith("/broadcasts"))!.body).toMatchObject({ draft_id: 7, name: "春の案内（改）" });
  });

  it("lists the drafts to open or delete", async () => {
    let drafts = [DRAFT, { ...DRAFT, id: 9, name: "" }];
    const calls = server((c) => {
      if (c.method === "DELETE") {
        drafts = drafts.filter((d) => !c.url.endsWith(`/${d.id}`));
        return new Response(null, { status: 204 });
      }
      if (c.url.endsWith("/broadcasts/drafts")) return json(drafts);
      return null;
    });
    render(<Drafts access={access} />, inConsole);
    const table = await screen.findByRole("table", { name: "下書き" });
    expect(within(table).getByRole("link", { name: "春の案内" }).getAttribute("href")).toBe("/w/3/broadcasts/drafts/7");
    expect(within(table).getByRole("link", { name: "（名前なし）" })).toBeTruthy();
    fireEvent.click(within(table).getAllByRole("button", { name: "削除" })[0]);
    // The question's own button (the rows' two, then the popup's).
    const ok = await waitFor(() => {
      const all = screen.getAllByRole("button", { name: "削除" });
      expect(all).toHaveLength(3);
      return all[2];
    });
    fireEvent.click(ok);
    await waitFor(() => expect(calls.some((c) => c.method === "DELETE" && c.url.endsWith("/broadcasts/drafts/7"))).toBe(true));
    await waitFor(() => expect(within(table).queryByRole("link", { name: "春の案内" })).toBeNull());
  });
});

describe("saved messages", () => {
  it("puts a saved message's messages into the broadcast, to be checked and sent as written there", async () => {
    const lookup = {
      name: "shop.saved",
      plugin: "shop",
      path: "/shop/saved?limit=200",
      paged: true,
      value_field: "id",
      label_field: "name",
      hint_field: null,
      color_field: null,
      properties: {},
      widgets: [],
      messages_field: "messages",
    };
    const calls = server((c) => {
      if (c.url.endsWith("/catalog")) return json({ node_types: [], reports: [], friend_fields: [], lookups: [lookup] });
      if (c.url.includes("/shop/saved")) return json({ items: [{ id: 2, name: "来店のお礼", messages: [{ type: "text", text: "ご来店ありがとうございました" }] }] });
      return null;
    });
    render(<BroadcastComposer access={access} />, inConsole);
    fireEvent.mouseDown(await screen.findByRole("combobox", { name: "定型文から入れる" }));
    fireEvent.click(await screen.findByText("来店のお礼", { selector: ".ant-select-item-option-content" }));
    await waitFor(() => expect((screen.getByLabelText("本文") as HTMLTextAreaElement).value).toBe("ご来店ありがとうございました"));
    await waitFor(() =>
      expect(calls.some((c) => c.url.endsWith("/broadcasts/estimate") && JSON.stringify(c.body).includes("ご来店ありがとうございました"))).toBe(true),
    );
  });
});

describe("test sends and the example friend", () => {
  it("sends a test to someone picked from the list, a simulated user by their LINE id", async () => {
    const calls = server((c) => (c.url.endsWith("/test-send") ? json({ request_id: 1, status: "pending" }, 202) : null));
    render(<BroadcastComposer access={access} />, inConsole);
    fireEvent.change(screen.getByLabelText("本文"), { target: { value: "試しに" } });
    fireEvent.click(screen.getByText("テスト送信"));
    fireEvent.click(screen.getByRole("button", { name: "テスト送信する" }));
    expect(await screen.findByText("送信先を選んでください")).toBeTruthy();

    fireEvent.mouseDown(screen.getByRole("combobox", { name: "送信先（自分のLINEアカウントやシミュレーターのユーザー）" }));
    fireEvent.click(await screen.findByText("デモ花子", { selector: ".ant-select-item-option-content span" }));
    fireEvent.click(screen.getByRole("button", { name: "テスト送信する" }));
    expect(await screen.findByText("テスト送信しました")).toBeTruthy();
    const sent = calls.find((c) => c.url.endsWith("/test-send"))!;
    expect(sent.body).toEqual({ messages: [{ type: "text", text: "試しに" }], to: { user_line_id: "U" + "2".repeat(32) } });
  });

  it("fills the preview in for the first friend listed, and offers send now for a scheduled broadcast", async () => {
    expect(actionsFor("scheduled")).toEqual(["send-now", "cancel"]);
    server();
    render(<BroadcastComposer access={access} />, inConsole);
    const picker = await screen.findByRole("combobox", { name: "プレビューの友だち（差し込みの例）" });
    await waitFor(() => expect(picker.closest(".ant-select")!.textContent).toContain("店長のLINE"));
  });
});

describe("a scheduled broadcast's page", () => {
  it("sends it now after the same last look as the composer's", async () => {
    const scheduled: Broadcast = {
      id: 5,
      name: "来月の案内",
      status: "scheduled",
      delivery: "multicast",
      messages: [{ type: "text", text: "来月もよろしくお願いします" }],
      target: {},
      allow_partial: false,
      scheduled_at: "2030-01-02T00:30:00Z",
      send_at: "2030-01-02T00:30:40Z",
      send_at_local: "2030-01-02T09:30:40+09:00",
      timezone: "Asia/Tokyo",
      audience_note: { ja: "", en: "" },
      estimated_recipients: 12,
      limited_to: null,
      progress: { total: null, written: 0, sent: 0, failed: 0, cancelled: 0, remaining: 12, percent: 0, rate_per_second: null, estimated_finish_at: null },
      held: false,
      error: null,
      created_at: "2026-12-01T00:00:00Z",
      started_at: null,
      paused_at: null,
      finished_at: null,
    };
    const calls = server((c) => {
      if (c.url.endsWith("/send-now")) return json({ ...scheduled, status: "sending", scheduled_at: null });
      if (c.url.includes("/recipients")) return json({ items: [], next: null });
      if (c.url.endsWith("/broadcasts/5")) return json(scheduled);
      return null;
    });
    render(<BroadcastPage access={access} broadcastId={5} />, inConsole);
    fireEvent.click(await screen.findByRole("button", { name: "今すぐ配信" }));
    const dialog = await screen.findByRole("dialog", { name: "この内容で配信しますか？" });
    expect(within(dialog).getByText("12人に配信")).toBeTruthy();
    expect(within(dialog).getByText("来月もよろしくお願いします")).toBeTruthy();
    expect(calls.some((c) => c.url.endsWith("/send-now"))).toBe(false);
    fireEvent.click(within(dialog).getByRole("button", { name: "配信する" }));
    expect(await screen.findByText("配信中")).toBeTruthy();
    expect(calls.filter((c) => c.url.endsWith("/send-now")).map((c) => c.method)).toEqual(["POST"]);
    expect(calls.find((c) => c.url.endsWith("/broadcasts/estimate"))!.body).toEqual({ target: {}, messages: scheduled.messages });
  });
});
