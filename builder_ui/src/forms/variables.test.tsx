import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { NODE_TYPES } from "../test/fixtures";
import { ConfigForm } from "./ConfigForm";
import { LinePreview } from "./LinePreview";
import { lookupsOf } from "./lookups.fixture";
import { forgetLookups, LookupContext } from "./pickers";

const sendType = NODE_TYPES.find((t) => t.key === "messages.send_messages")!;

afterEach(() => {
  vi.restoreAllMocks();
  forgetLookups();
});

describe("variables in messages", () => {
  it("are inserted from a menu of the workspace's variables, where the cursor is", async () => {
    const variables = [
      { name: "friend.display_name", placeholder: "{{friend.display_name}}", label: { ja: "友だちの表示名", en: "Display name" }, plugin: "core" },
      { name: "field.nickname", placeholder: "{{field.nickname}}", label: { ja: "ニックネーム", en: "Nickname" }, plugin: "friend_fields" },
    ];
    const fetchMock = vi.spyOn(globalThis, "fetch").mockImplementation(async (url) => {
      const rows = String(url).endsWith("/messages/variables") ? variables : String(url).includes("templates") ? { items: [] } : [];
      return new Response(JSON.stringify(rows), { status: 200 });
    });
    const onChange = vi.fn();
    render(
      <LookupContext.Provider value={{ workspaceId: 3, lookups: lookupsOf("messages") }}>
        <ConfigForm nodeType={sendType} config={{ messages: [{ type: "text", text: "こんにちは、さん" }] }} onChange={onChange} />
      </LookupContext.Provider>,
    );
    const box = (await screen.findByLabelText("本文")) as HTMLTextAreaElement;
    box.setSelectionRange(6, 6); // after "こんにちは、"
    fireEvent.click(await screen.findByRole("button", { name: "変数を挿入" }));
    fireEvent.click(await screen.findByText("友だちの表示名"));
    await waitFor(() =>
      expect(onChange).toHaveBeenLastCalledWith({ messages: [{ type: "text", text: "こんにちは、{{friend.display_name}}さん" }] }),
    );
    expect(fetchMock.mock.calls.some(([url]) => String(url) === "/api/workspaces/3/messages/variables")).toBe(true);
  }, 30000);

  it("show an example friend's values in the preview, never the placeholders", () => {
    render(
      <LinePreview
        messages={[
          { type: "text", text: "{{friend.display_name}}さん、{{field.nickname|お客様}}へ {{tags.tags}}" },
          { type: "template", altText: "x", template: { type: "buttons", text: "{{ friend.name }}様", actions: [] } },
        ]}
      />,
    );
    expect(screen.getByText("山田 花子さん、お客様へ 〇〇")).toBeTruthy();
    expect(screen.getByText("山田 花子様")).toBeTruthy();
    expect(document.body.textContent).not.toContain("{{");
  });
});
