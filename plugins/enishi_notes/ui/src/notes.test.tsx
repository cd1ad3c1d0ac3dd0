import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { registered } from "@enishi/plugin-ui";
import { inConsole } from "@enishi/plugin-ui/testing";
import register from "./index";

const panels = () => registered(register, "notes").friendPanel;

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

const note = (id: number, body: string, more: Record<string, unknown> = {}) => ({
  id,
  body,
  author_user_id: 1,
  source: "staff",
  pinned: false,
  created_at: "2026-03-01T01:00:00Z",
  updated_at: "2026-03-01T01:00:00Z",
  edits: 0,
  can_edit: true,
  ...more,
});

afterEach(() => vi.restoreAllMocks());

function show() {
  const Panel = panels()[0].component;
  render(<Panel workspaceId={4} permissions={[]} friendId={8} timezone="Asia/Tokyo" />, inConsole);
}

describe("the notes module", () => {
  it("puts the friend's notes last on the friend's page", () => {
    expect(panels().map((p) => [p.key, p.title, p.order])).toEqual([["notes", { ja: "メモ", en: "Notes" }, 1000]]);
  });

  it("adds a note, edits one and pins it, and reads on", async () => {
    let notes = [note(2, "誕生日は5月", { pinned: true, edits: 1 }), note(1, "来店は土曜が多い")];
    const calls: [string, string, unknown][] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (url, init) => {
      const method = init?.method ?? "GET";
      const body = init?.body ? JSON.parse(String(init.body)) : null;
      calls.push([method, String(url), body]);
      if (method === "POST") notes = [note(3, body.body), ...notes];
      if (method === "PATCH") notes = notes.map((n) => (String(url).endsWith(`/notes/${n.id}`) ? { ...n, ...body } : n));
      if (String(url).includes("after=")) return json({ items: [note(0, "最初のメモ", { can_edit: false })], next: null });
      return json(method === "GET" ? { items: notes, next: "cursor 1" } : {});
    });
    show();
    const panel = await screen.findByRole("region", { name: "メモ" });
    await within(panel).findByText("誕生日は5月");
    expect(calls[0][1]).toBe("/api/workspaces/4/notes/friends/8?limit=20");
    // The pinned note says so, and that it was edited; the time is the workspace's.
    const pinned = within(panel).getByText("誕生日は5月").closest("li")!;
    expect(pinned.className).toBe("pinned");
    expect(pinned.textContent).toContain("ピン留め");
    expect(pinned.textContent).toContain("編集済み");
    expect(pinned.textContent).toContain("2026/03/01 10:00");

    fireEvent.change(within(panel).getByLabelText("メモを書く"), { target: { value: "次回はクーポン" } });
    await act(async () => {
      fireEvent.click(within(panel).getByRole("button", { name: "メモを追加" }));
    });
    expect(calls).toContainEqual(["POST", "/api/workspaces/4/notes/friends/8", { body: "次回はクーポン" }]);
    expect(await within(panel).findByText("次回はクーポン")).toBeTruthy();
    expect((within(panel).getByLabelText("メモを書く") as HTMLTextAreaElement).value).toBe("");

    const second = within(panel).getByText("来店は土曜が多い").closest("li")!;
    fireEvent.click(within(second).getByRole("button", { name: "編集" }));
    fireEvent.change(within(second).getByLabelText("メモを編集"), { target: { value: "来店は日曜が多い" } });
    await act(async () => {
      fireEvent.click(within(second).getByRole("button", { name: "保存" }));
    });
    expect(calls).toContainEqual(["PATCH", "/api/workspaces/4/notes/1", { body: "来店は日曜が多い" }]);
    const edited = (await within(panel).findByText("来店は日曜が多い")).closest("li")!;
    await act(async () => {
      fireEvent.click(within(edited).getByRole("button", { name: "ピン留め" }));
    });
    expect(calls).toContainEqual(["PATCH", "/api/workspaces/4/notes/1", { pinned: true }]);

    await act(async () => {
      fireEvent.click(within(panel).getByRole("button", { name: "もっと見る" }));
    });
    expect(await within(panel).findByText("最初のメモ")).toBeTruthy();
    expect(calls).toContainEqual(["GET", "/api/workspaces/4/notes/friends/8?limit=20&after=cursor%201", null]);
    await waitFor(() => expect(within(panel).queryByRole("button", { name: "もっと見る" })).toBeNull());
  });

  it("says when there are no notes, and shows what the server refused", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async (_url, init) =>
      init?.method === "POST"
        ? json({ error: "invalid", message: "invalid", errors: [{ path: "$.body", message: "長すぎます" }] }, 422)
        : json({ items: [], next: null }),
    );
    show();
    expect(await screen.findByText("メモはありません")).toBeTruthy();
    expect((screen.getByRole("button", { name: "メモを追加" }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(screen.getByLabelText("メモを書く"), { target: { value: "x" } });
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "メモを追加" }));
    });
    expect((await screen.findByRole("alert")).textContent).toBe("本文: 長すぎます");
  });
});
