import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { forgetLookups } from "../../forms/pickers";
import { CatalogProvider } from "../../platform/catalog";
import type { RegisterUi } from "../../platform/contract";
import { UiModulesProvider } from "../../platform/modules";
import type { WorkspaceAccess } from "../../types";
import { conversationsUrl, filterSegment, InboxPage, NO_FILTERS } from "./InboxPage";
import { inConsole } from "../../test/router";

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

// A plugin's filter of the list, as a UI module registers it.
const stageFilter: RegisterUi = (ui) =>
  ui.conversationFilter({
    key: "stage",
    title: { ja: "段階" },
    component: ({ value, onChange }) => (
      <label>
        段階
        <select value={value} onChange={(e) => onChange(e.target.value)}>
          <option value="">すべて</option>
          <option value="vip">VIP</option>
        </select>
      </label>
    ),
    condition: (value, { meId }) => ({ type: "shop.stage_is", config: { stage: value, asked_by: meId } }),
  });
const stage = { plugin: "shop", slot: { key: "stage", title: { ja: "段階" }, component: () => null, condition: (v: string) => ({ type: "shop.stage_is", config: { stage: v } }) } };

describe("inbox filters", () => {
  it("become a segment of the conditions plugins' filters give for their values", () => {
    expect(filterSegment(NO_FILTERS, [stage], 9)).toBeNull();
    expect(filterSegment({ values: { "shop.stage": "" }, unreadOnly: true }, [stage], 9)).toBeNull();
    expect(filterSegment({ values: { "shop.stage": "vip", "gone.filter": "x" }, unreadOnly: false }, [stage], 9)).toEqual({
      all: [{ type: "shop.stage_is", config: { stage: "vip" } }],
    });
  });
  it("go to the server in the query", () => {
    const url = new URL(conversationsUrl(3, { values: { "shop.stage": "vip" }, unreadOnly: true }, [stage], 9), "http://x");
    expect(url.pathname).toBe("/api/workspaces/3/inbox/conversations");
    expect(url.searchParams.get("unread_only")).toBe("true");
    expect(JSON.parse(url.searchParams.get("segment")!)).toEqual({ all: [{ type: "shop.stage_is", config: { stage: "vip" } }] });
  });
});

describe("inbox page", () => {
  it("lists conversations with unread counts and asks again when a plugin's filter changes", async () => {
    const asked: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
      const url = String(input);
      asked.push(url);
      const body = url.endsWith("/catalog")
        ? { node_types: [], reports: [], friend_fields: [], lookups: [], ui_modules: [{ plugin: "shop", url: "/shop.js" }] }
        : url.includes("/auth/me")
          ? { user: { id: 9 } }
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
    render(
      <CatalogProvider workspaceId={3}>
        <UiModulesProvider importModule={async () => ({ default: stageFilter })}>
          <InboxPage access={access} friendId={null} />
        </UiModulesProvider>
      </CatalogProvider>,
      inConsole,
    );
    const list = await screen.findByRole("list", { name: "会話" });
    const item = await within(list).findByRole("button", { name: /花子/ });
    expect(within(item).getByLabelText("未読 2件")).toBeTruthy();
    expect(within(item).getByText("予約できますか")).toBeTruthy();

    fireEvent.change(await screen.findByLabelText("段階"), { target: { value: "vip" } });
    await waitFor(() =>
      expect(asked.some((u) => decodeURIComponent(u).includes('{"type":"shop.stage_is","config":{"stage":"vip","asked_by":9}}'))).toBe(true),
    );
    fireEvent.click(screen.getByLabelText("未読のみ"));
    await waitFor(() => expect(asked.some((u) => u.includes("unread_only=true"))).toBe(true));
  });
});

describe("beside a chat", () => {
  it("shows the friend panels plugins mean for it, in their order, and reads the list again when one changes the friend", async () => {
    let listReads = 0;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
      const url = String(input);
      let body: unknown = {};
      if (url.endsWith("/catalog"))
        body = { node_types: [], reports: [], friend_fields: [], lookups: [], ui_modules: [{ plugin: "shop", url: "/shop.js" }] };
      else if (url.includes("/auth/me")) body = { user: { id: 9 } };
      else if (url.includes("/inbox/conversations")) {
        listReads += 1;
        body = { items: [], next: null };
      } else if (url.includes("/inbox/friends/7")) body = { items: [], next: null };
      else if (url.includes("/friends/7")) body = { id: 7, display_name: "花子", picture_url: null, status: "following" };
      return new Response(JSON.stringify(body), { status: 200 });
    });
    const register: RegisterUi = (ui) => {
      ui.friendPanel({ key: "later", title: { ja: "後" }, order: 30, besideChat: true, component: () => <p>second panel</p> });
      ui.friendPanel({
        key: "first",
        title: { ja: "先" },
        order: 10,
        besideChat: true,
        component: ({ friendId, onChanged }) => (
          <button type="button" onClick={onChanged}>
            change friend {friendId}
          </button>
        ),
      });
      ui.friendPanel({ key: "page_only", title: { ja: "ページだけ" }, component: () => <p>page only</p> });
    };
    render(
      <CatalogProvider workspaceId={3}>
        <UiModulesProvider importModule={async () => ({ default: register })}>
          <InboxPage access={access} friendId={7} />
        </UiModulesProvider>
      </CatalogProvider>,
      inConsole,
    );
    const side = await screen.findByRole("complementary", { name: "友だち" });
    const change = await within(side).findByRole("button", { name: "change friend 7" });
    expect(side.textContent).toMatch(/change friend 7.*second panel/);
    expect(within(side).queryByText("page only")).toBeNull();
    await waitFor(() => expect(listReads).toBeGreaterThan(0));
    const before = listReads;
    fireEvent.click(change);
    await waitFor(() => expect(listReads).toBeGreaterThan(before));
  });
});
