import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import i18n from "../../i18n";
import type { WorkspaceAccess } from "../../types";
import { inConsole } from "../../test/router";
import { RolesPage } from "./StaffPage";

const access: WorkspaceAccess = {
  workspace: { id: 5, name: "縁カフェ", timezone: "Asia/Tokyo" },
  role: "owner",
  permissions: ["core.manage_roles"],
  enabled_plugins: ["tags"],
};
const PERMISSIONS = [
  { key: "core.broadcast", plugin: "core", label: { ja: "一斉配信・セグメント配信の作成と送信", en: "Create and send broadcasts" }, roles: ["owner", "admin"] },
  { key: "tags.manage", plugin: "tags", label: { ja: "タグとタグフォルダの作成・編集・削除", en: "Create, edit and delete tags and tag folders" }, roles: ["owner", "admin", "operator"] },
];
const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { "Content-Type": "application/json" } });

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the role matrix", () => {
  it("names each permission by its label, never its key, and grants it to a role", async () => {
    const fetch = vi.spyOn(globalThis, "fetch").mockImplementation(async (_url, init) =>
      json(init?.method === "PUT" ? PERMISSIONS.map((p) => (p.key === "core.broadcast" ? { ...p, roles: [...p.roles, "operator"] } : p)) : PERMISSIONS),
    );
    render(<RolesPage access={access} />, inConsole);
    const table = await screen.findByRole("table", { name: "役割と権限" });
    expect(within(table).getByRole("rowheader", { name: "一斉配信・セグメント配信の作成と送信" })).toBeTruthy();
    expect(within(table).queryByText(/core\.broadcast|tags\.manage/)).toBeNull();
    const box = within(table).getByRole("checkbox", { name: "オペレーター: 一斉配信・セグメント配信の作成と送信" });
    expect((box as HTMLInputElement).checked).toBe(false);
    fireEvent.click(box);
    await waitFor(() => expect((box as HTMLInputElement).checked).toBe(true));
    const put = fetch.mock.calls.find(([, i]) => i?.method === "PUT")!;
    expect(JSON.parse(String(put[1]!.body))).toEqual({ role: "operator", permission: "core.broadcast", granted: true });
  });

  it("speaks English when the console does", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => json(PERMISSIONS));
    await i18n.changeLanguage("en");
    try {
      render(<RolesPage access={access} />, inConsole);
      expect(await screen.findByRole("rowheader", { name: "Create and send broadcasts" })).toBeTruthy();
    } finally {
      await i18n.changeLanguage("ja");
    }
  });
});
