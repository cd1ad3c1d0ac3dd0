import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { forgetLookups } from "../../forms/pickers";
import type { WorkspaceAccess } from "../../types";
import { conversationsUrl, filterSegment, InboxPage, NO_FILTERS } from "./InboxPage";

const access: WorkspaceAccess = {
  workspace: { id: 3, name: "縁カフェ", timezone: "Asia/Tokyo" },
  role: "owner",
  permissions: ["core.write", "response_marks.assign", "assignment.assign"],
  enabled_plugins: ["response_marks", "assignment"],
};

afterEach(() => {
  vi.restoreAllMocks();
  forgetLookups();
});

describe("inbox filters", () => {
  it("become a segment of mark and assignee conditions", () => {
    expect(filterSegment(NO_FILTERS, 9)).toBeNull();
    expect(filterSegment({ mark: "4", assignee: "me", unreadOnly: false }, 9)).toEqual({
      all: [
        { type: "response_marks.mark_is", config: { mark_ids: [4] } },
        { type: "assignment.assignee_is", config: { match: "any_of", user_ids: [9] } },
      ],
    });
    expect(filterSegment({ mark: "none", assignee: "nobody", unreadOnly: true }, 9)).toEqual({
      all: [
        { type: "response_marks.mark_is", config: { no_mark: true } },
        { type: "assignment.assignee_is", config: { match: "nobody" } },
      ],
    });
  });
  it("go to the server in the query", () => {
    const url = new URL(conversationsUrl(3, { mark: "", assignee: "12", unreadOnly: true }, 9), "http://x");
    expect(url.pathname).toBe("/api/workspaces/3/inbox/conversations");
    expect(url.searchParams.get("unread_only")).toBe("true");
    expect(JSON.parse(url.searchParams.get("segment")!)).toEqual({
      all: [{ type: "assignment.assignee_is", config: { match: "any_of", user_ids: [12] } }],
    });
  });
});

describe("inbox page", () => {
  it("lists conversations with unread counts and asks again when a filter changes", async () => {
    const asked: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
      const url = String(input);
      asked.push(url);
      const body = url.includes("/auth/me")
        ? { user: { id: 9 } }
        : url.includes("/response_marks/marks")
          ? [{ id: 4, label: "要対応", color: "#ff0000" }]
          : url.includes("/assignment/staff")
            ? [{ user_id: 9, display_name: "店長" }]
            : {
                items: [
                  {
                    friend: { id: 7, display_name: "花子", picture_url: null, status: "following" },
                    last_message: { id: 1, direction: "in", kind: "text", text: "予約できますか", body: {}, source: "line", occurred_at: "2026-11-27T00:00:00Z" },
                    unread: 2,
                  },
                ],
                next: null,
              };
      return new Response(JSON.stringify(body), { status: 200 });
    });
    render(<InboxPage access={access} friendId={null} />);
    const list = await screen.findByRole("list", { name: "会話" });
    const item = await within(list).findByRole("button", { name: /花子/ });
    expect(within(item).getByLabelText("未読 2件")).toBeTruthy();
    expect(within(item).getByText("予約できますか")).toBeTruthy();

    const mark = screen.getByLabelText("対応マーク");
    await within(mark).findByRole("option", { name: "要対応" });
    fireEvent.change(mark, { target: { value: "4" } });
    await waitFor(() => expect(asked.some((u) => u.includes("segment=") && decodeURIComponent(u).includes('"mark_ids":[4]'))).toBe(true));
    // "me" is offered to staff of the workspace (user 9 is).
    await within(screen.getByLabelText("担当者")).findByRole("option", { name: "自分" });
    fireEvent.click(screen.getByLabelText("未読のみ"));
    await waitFor(() => expect(asked.some((u) => u.includes("unread_only=true"))).toBe(true));
  });
});
