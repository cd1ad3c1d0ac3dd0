import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { inConsole } from "../../test/router";
import type { WorkspaceAccess } from "../../types";
import { ChatThread } from "./ChatThread";
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

class QuietSource {
  static CLOSED = 2;
  readyState = 1;
  addEventListener() {}
  close() {}
}

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status });

const TEMPLATES_LOOKUP = {
  name: "messages.templates",
  plugin: "messages",
  path: "/messages/templates?limit=200",
  paged: true,
  value_field: "id",
  label_field: "name",
  hint_field: null,
  color_field: null,
  properties: { template_id: "integer" },
  widgets: ["messageTemplate"],
  send_path: "/messages/send",
  send_field: "template_id",
};

const PHOTO = {
  id: 21,
  kind: "image",
  name: "クーポン.png",
  content_type: "image/png",
  size: 1000,
  width: 800,
  height: 800,
  url: "https://shop.example/media/k.png",
  preview_url: "https://shop.example/media/k-preview.png",
  view_url: "/media/k-preview.png",
  preview_note: null,
  source: "upload",
  created_at: "2026-11-27T01:00:00Z",
};

type Call = [string, string, unknown];

function serve(history: ChatMessage[], calls: Call[]) {
  vi.spyOn(globalThis, "fetch").mockImplementation(async (url, init) => {
    const u = String(url);
    const method = init?.method ?? "GET";
    calls.push([method, u, init?.body ? JSON.parse(String(init.body)) : null]);
    if (u.endsWith("/catalog")) return json({ lookups: [TEMPLATES_LOOKUP] });
    if (u.includes("/messages/templates")) return json({ items: [{ id: 11, name: "来店のお礼" }], next: null });
    if (u.includes("/media?")) return json({ items: [PHOTO], next: null });
    if (u.includes("/read")) return json({});
    if (method === "POST") return json({ request_id: 1, kind: "push", status: "pending", messages: [] }, 202);
    return json({ items: history, next: null });
  });
}

beforeEach(() => {
  (globalThis as unknown as { EventSource: unknown }).EventSource = QuietSource;
});
afterEach(() => vi.restoreAllMocks());

describe("the talk shows taps by their button's label", () => {
  it("names the tapped button, never its internal data", async () => {
    serve(
      [
        message(2, { kind: "postback", text: "enishi:pb:abc", body: { type: "postback", data: "enishi:pb:abc", label: "クーポンを受け取る" } }),
        message(1, { kind: "postback", text: "enishi:pb:zzz", body: { type: "postback", data: "enishi:pb:zzz" } }),
      ],
      [],
    );
    render(<ChatThread access={access} friendId={7} />, inConsole);
    await screen.findByText("ボタンをタップ: クーポンを受け取る");
    expect(screen.getByText("ボタンをタップ")).toBeTruthy();
    expect(screen.queryByText(/enishi:pb/)).toBeNull();
  });
});

describe("the reply box", () => {
  it("sends a saved template to the friend the talk is open on", async () => {
    const calls: Call[] = [];
    serve([message(1, { text: "予約できますか" })], calls);
    render(<ChatThread access={access} friendId={7} />, inConsole);
    await screen.findByText("予約できますか");
    fireEvent.click(await screen.findByRole("button", { name: "定型文" }));
    const select = await screen.findByRole("combobox", { name: "定型文" });
    fireEvent.mouseDown(select);
    const options = await screen.findAllByText("来店のお礼", { selector: ".ant-select-item-option-content" });
    fireEvent.click(options[options.length - 1]);
    fireEvent.click(screen.getByRole("button", { name: "この内容で送信" }));
    await waitFor(() =>
      expect(calls.find(([m, u]) => m === "POST" && u === "/api/workspaces/3/messages/send")?.[2]).toMatchObject({
        friend_id: 7,
        template_id: 11,
      }),
    );
  }, 30_000);

  it("attaches an image from the library and sends it with the text", async () => {
    const calls: Call[] = [];
    serve([message(1, { text: "写真ありますか" })], calls);
    render(<ChatThread access={access} friendId={7} />, inConsole);
    await screen.findByText("写真ありますか");
    fireEvent.click(screen.getByRole("button", { name: "画像" }));
    const dialog = await screen.findByRole("dialog");
    fireEvent.click(await within(dialog).findByRole("button", { name: "クーポン.png を選ぶ" }));
    expect(await screen.findByRole("group", { name: "添付する画像" })).toBeTruthy();
    fireEvent.change(screen.getByLabelText("返信"), { target: { value: "こちらです" } });
    fireEvent.click(screen.getByRole("button", { name: "送信" }));
    await waitFor(() =>
      expect(calls.find(([m, u]) => m === "POST" && u.endsWith("/inbox/friends/7/messages"))?.[2]).toMatchObject({
        messages: [
          { type: "text", text: "こちらです" },
          { type: "image", originalContentUrl: PHOTO.url, previewImageUrl: PHOTO.preview_url },
        ],
      }),
    );
    await waitFor(() => expect(screen.queryByRole("group", { name: "添付する画像" })).toBeNull());
  });

  it("sends a sticker at once", async () => {
    const calls: Call[] = [];
    serve([message(1)], calls);
    render(<ChatThread access={access} friendId={7} />, inConsole);
    await screen.findByText("m1");
    fireEvent.click(screen.getByRole("button", { name: "スタンプ" }));
    fireEvent.click(await screen.findByRole("button", { name: "スタンプ 1" }));
    await waitFor(() =>
      expect(calls.find(([m]) => m === "POST")?.[2]).toMatchObject({
        messages: [{ type: "sticker", packageId: "11537", stickerId: "52002734" }],
      }),
    );
  });
});
