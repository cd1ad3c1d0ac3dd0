import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { inConsole } from "../../test/router";
import { NameOverrideEditor } from "./NameOverride";
import type { Profile } from "./types";

const profile: Profile = {
  id: 7,
  line_user_id: "U1",
  display_name: "🍀aoi",
  name_override: null,
  picture_url: null,
  status_message: null,
  language: null,
  status: "following",
  followed_at: "2026-01-01T00:00:00+00:00",
  blocked_at: null,
  last_inbound_at: null,
  fields: [],
};

afterEach(() => vi.restoreAllMocks());

function fakeServer() {
  const sent: unknown[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (_input, init) => {
    const body = JSON.parse(String(init?.body)) as { name_override: string | null };
    sent.push(body);
    return new Response(JSON.stringify({ ...profile, name_override: body.name_override }), { status: 200 });
  });
  return sent;
}

describe("NameOverrideEditor", () => {
  it("saves the name trimmed, and an empty name clears it", async () => {
    const sent = fakeServer();
    const saved = vi.fn();
    const view = render(<NameOverrideEditor workspaceId={3} profile={profile} canEdit onSaved={saved} />, inConsole);
    fireEvent.click(screen.getByRole("button", { name: "管理用の名前を付ける" }));
    fireEvent.change(screen.getByLabelText("管理用の名前"), { target: { value: "  田中 葵様 " } });
    fireEvent.click(screen.getByRole("button", { name: "保存" }));
    await waitFor(() => expect(saved).toHaveBeenCalledWith(expect.objectContaining({ name_override: "田中 葵様" })));
    expect(sent).toEqual([{ name_override: "田中 葵様" }]);

    view.rerender(<NameOverrideEditor workspaceId={3} profile={{ ...profile, name_override: "田中 葵様" }} canEdit onSaved={saved} />);
    fireEvent.click(screen.getByRole("button", { name: "管理用の名前を変更" }));
    expect((screen.getByLabelText("管理用の名前") as HTMLInputElement).value).toBe("田中 葵様");
    fireEvent.change(screen.getByLabelText("管理用の名前"), { target: { value: "  " } });
    fireEvent.click(screen.getByRole("button", { name: "保存" }));
    await waitFor(() => expect(sent).toEqual([{ name_override: "田中 葵様" }, { name_override: null }]));
  });

  it("says at the field that a name is too long and sends nothing", () => {
    const sent = fakeServer();
    render(<NameOverrideEditor workspaceId={3} profile={profile} canEdit onSaved={vi.fn()} />, inConsole);
    fireEvent.click(screen.getByRole("button", { name: "管理用の名前を付ける" }));
    fireEvent.change(screen.getByLabelText("管理用の名前"), { target: { value: "あ".repeat(101) } });
    expect(screen.getByText("100文字以内で入力してください")).toBeTruthy();
    const save = screen.getByRole("button", { name: "保存" });
    expect(save.hasAttribute("disabled")).toBe(true);
    fireEvent.submit(save.closest("form") as HTMLFormElement);
    expect(sent).toEqual([]);
  });

  it("offers nothing to staff who may not change data", () => {
    render(<NameOverrideEditor workspaceId={3} profile={profile} canEdit={false} onSaved={vi.fn()} />, inConsole);
    expect(screen.queryByRole("button")).toBeNull();
  });
});
