import { act, fireEvent, render, screen } from "@testing-library/react";
import type { EnishiUi, FriendPanelSlot, SettingsPageSlot } from "@enishi/plugin-ui";
import { inConsole } from "@enishi/plugin-ui/testing";
import i18n from "i18next";
import register from "./index";
import { sampleNumber } from "./names";

function registered() {
  const slots: { settingsPage: SettingsPageSlot[]; friendPanel: FriendPanelSlot[] } = { settingsPage: [], friendPanel: [] };
  const ui = {
    version: 1,
    plugin: "member_cards",
    settingsPage: (s: SettingsPageSlot) => slots.settingsPage.push(s),
    friendPanel: (s: FriendPanelSlot) => slots.friendPanel.push(s),
    locales: (resources: Record<string, Record<string, unknown>>) => {
      for (const [lang, strings] of Object.entries(resources)) i18n.addResourceBundle(lang, "member_cards", strings, true, true);
    },
  } as unknown as EnishiUi;
  register(ui);
  return slots;
}

const answer = (status: number, body: unknown) => new Response(JSON.stringify(body), { status });

afterEach(() => vi.restoreAllMocks());

describe("the member cards module", () => {
  it("shows the next member number with the prefix and digits", () => {
    expect(sampleNumber("EN-", 6, 42)).toBe("EN-000042");
    expect(sampleNumber("", 4, 123456)).toBe("123456");
  });

  it("shows a friend's card, or that none was issued", async () => {
    const { friendPanel } = registered();
    const Panel = friendPanel[0].component;
    vi.spyOn(globalThis, "fetch").mockResolvedValueOnce(
      answer(200, { friend_id: 7, member_number: "EN-000012", points: 1200, stamps: 3, rank: "ゴールド" }),
    );
    const view = render(<Panel workspaceId={2} permissions={[]} friendId={7} timezone="Asia/Tokyo" />, inConsole);
    const panel = await screen.findByRole("region", { name: "会員証" });
    expect(await screen.findByText("EN-000012")).toBeTruthy();
    expect(panel.textContent).toContain("1,200");
    expect(panel.textContent).toContain("ゴールド");
    expect(vi.mocked(fetch).mock.calls[0][0]).toBe("/api/workspaces/2/member_cards/cards/7");
    view.unmount();

    vi.mocked(fetch).mockResolvedValueOnce(answer(404, { error: "not_found", message: "card" }));
    render(<Panel workspaceId={2} permissions={[]} friendId={8} timezone="Asia/Tokyo" />, inConsole);
    expect(await screen.findByText("会員証はまだ発行されていません。")).toBeTruthy();
  });

  it("edits the design, read-only without member_cards.manage", async () => {
    const { settingsPage } = registered();
    expect(settingsPage.map((p) => [p.key, p.group])).toEqual([["member_card", "data"]]);
    const Page = settingsPage[0].component;
    const design = {
      name: "会員証",
      background_color: "#06c755",
      text_color: "#ffffff",
      logo_url: null,
      number_prefix: "",
      number_digits: 6,
      next_number: 1,
      issue_on_follow: true,
      allow_negative: false,
      stamp_goal: 10,
      ranks: [{ name: "レギュラー", threshold: 0 }],
    };
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => answer(200, design));
    const view = render(<Page workspaceId={2} permissions={[]} rest={[]} />, inConsole);
    const prefix = (await screen.findByLabelText(/^会員番号の接頭辞/)) as HTMLInputElement;
    expect(prefix.closest("fieldset")!.disabled).toBe(true);
    view.unmount();

    render(<Page workspaceId={2} permissions={["member_cards.manage"]} rest={[]} />, inConsole);
    fireEvent.change(await screen.findByLabelText(/^会員番号の接頭辞/), { target: { value: "EN-" } });
    expect(screen.getByText("次の会員番号: EN-000001")).toBeTruthy();
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "保存" }));
    });
    const calls = vi.mocked(fetch).mock.calls;
    const [url, init] = calls[calls.length - 1];
    expect([url, init?.method]).toEqual(["/api/workspaces/2/member_cards/design", "PUT"]);
    expect(JSON.parse(String(init?.body)).number_prefix).toBe("EN-");
    expect(await screen.findByText("保存しました")).toBeTruthy();
  });
});
