import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import i18n from "../../i18n";
import { inConsole } from "../../test/router";
import { AccountsAdmin, generatePassword, type Account } from "./AccountsAdmin";
import en from "./locales/en.json";
import ja from "./locales/ja.json";

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

const account = (over: Partial<Account>): Account => ({
  id: 1,
  email: "admin@enishi.example",
  display_name: "運営",
  is_platform_admin: false,
  is_active: true,
  two_factor_enabled: false,
  created_at: "2026-11-01T00:00:00Z",
  last_login_at: null,
  ...over,
});

/** A fake /api/users: the accounts, what was posted, and the server's refusals. */
function fakeServer(accounts: Account[]) {
  const posted: { path: string; body: unknown }[] = [];
  const fetchMock = vi.spyOn(globalThis, "fetch").mockImplementation(async (url, init) => {
    const path = String(url);
    if (init?.method !== "POST") return json(accounts);
    const body = JSON.parse(String(init.body));
    posted.push({ path, body });
    const id = Number(path.split("/")[3]);
    const target = accounts.find((a) => a.id === id)!;
    if (path.endsWith("/password")) {
      if (body.new_password.length < 10) {
        return json(
          {
            status: 422,
            error: "invalid",
            message: "入力内容に誤りがあります / invalid input",
            errors: [{ path: "$.new_password", message: "パスワードは10文字以上にしてください / must be at least 10 characters" }],
          },
          422,
        );
      }
      if (body.reset_two_factor) target.two_factor_enabled = false;
      return new Response(null, { status: 204 });
    }
    if (path.endsWith("/deactivate") && id === 1) {
      return json(
        { status: 409, error: "own_account", message: "自分のアカウントは無効にできません / you cannot deactivate yourself", errors: [] },
        409,
      );
    }
    target.is_active = path.endsWith("/activate");
    return json(target);
  });
  return { posted, fetchMock };
}

/** The accounts, in the console's theme (its style sheets kept off jsdom's page). */
const renderAccounts = (meId: number) => render(<AccountsAdmin meId={meId} />, inConsole);

afterEach(async () => {
  vi.restoreAllMocks();
  await i18n.changeLanguage("ja");
});

/** Every key path of a nested strings object. */
const keyPaths = (o: object, prefix = ""): string[] =>
  Object.entries(o).flatMap(([k, v]) => (v && typeof v === "object" ? keyPaths(v, `${prefix}${k}.`) : [`${prefix}${k}`]));

describe("accounts (platform admins)", () => {
  it("lists every account in words: status, two-factor sign-in and the last sign-in", async () => {
    fakeServer([
      account({ id: 1, is_platform_admin: true, last_login_at: "2026-12-01T03:04:00Z" }),
      account({ id: 2, email: "hanako@shop.example", display_name: "花子", two_factor_enabled: true, is_active: false }),
    ]);
    renderAccounts(1);
    const table = await screen.findByRole("table", { name: "アカウント" });
    const rows = within(table).getAllByRole("row").slice(1);
    expect(within(rows[0]).getByRole("rowheader").textContent).toBe("運営 (自分)運営管理者");
    const cells = (row: HTMLElement) => within(row).getAllByRole("cell").slice(0, 4).map((c) => c.textContent);
    expect(cells(rows[0])).toEqual(["admin@enishi.example", "有効", "オフ", expect.stringMatching(/^2026\/12\/0[12] \d{1,2}:\d\d$/)]);
    expect(cells(rows[1])).toEqual(["hanako@shop.example", "無効", "オン", "まだありません"]);
    expect(within(rows[1]).getByRole("button", { name: "花子を有効に戻す" })).toBeTruthy();
    expect(within(rows[1]).queryByRole("button", { name: "花子を無効にする" })).toBeNull();
    // No id, no raw flag: nothing of the API's own words.
    expect(table.textContent).not.toMatch(/true|false|is_active|\$\./);
  });

  it("resets a password with the server's objection at the field, and optionally ends two-factor sign-in", async () => {
    const { posted } = fakeServer([account({ id: 1 }), account({ id: 2, email: "hanako@shop.example", display_name: "花子", two_factor_enabled: true })]);
    renderAccounts(1);
    await screen.findByRole("table", { name: "アカウント" });
    fireEvent.click(screen.getByRole("button", { name: "花子のパスワードを再設定" }));
    const form = screen.getByRole("form", { name: "花子のパスワードを再設定" });
    const input = within(form).getByLabelText("新しいパスワード");
    const field = input.closest(".field") as HTMLElement;

    fireEvent.click(within(form).getByRole("button", { name: "再設定する" }));
    expect(field.textContent).toContain("新しいパスワードを入力してください。");
    expect(posted).toHaveLength(0);

    fireEvent.change(input, { target: { value: "short" } });
    fireEvent.click(within(form).getByRole("button", { name: "再設定する" }));
    await waitFor(() => expect(field.textContent).toContain("パスワードは10文字以上にしてください"));
    expect(field.textContent).not.toContain("must be");

    fireEvent.change(input, { target: { value: "a long enough secret" } });
    fireEvent.click(within(form).getByLabelText("二段階認証も解除する"));
    fireEvent.click(within(form).getByRole("button", { name: "再設定する" }));
    const row = (await screen.findByRole("rowheader", { name: "花子" })).closest("tr") as HTMLElement;
    await waitFor(() => expect(within(row).getByRole("status").textContent).toBe(
      "パスワードを再設定し、二段階認証を解除しました。この人はすべての端末からログアウトされました。",
    ));
    expect(posted[posted.length - 1]).toEqual({ path: "/api/users/2/password", body: { new_password: "a long enough secret", reset_two_factor: true } });
    await waitFor(() => expect(within(row).getAllByRole("cell")[2].textContent).toBe("オフ"));
    expect(screen.queryByRole("form")).toBeNull();
    // A typed password is the admin's own: it is not shown again.
    expect(screen.queryByRole("group", { name: /新しいパスワード/ })).toBeNull();
  });

  it("shows a generated password once after setting it", async () => {
    const { posted } = fakeServer([account({ id: 1 }), account({ id: 2, email: "hanako@shop.example", display_name: "花子" })]);
    renderAccounts(1);
    fireEvent.click(await screen.findByRole("button", { name: "花子のパスワードを再設定" }));
    const form = screen.getByRole("form", { name: "花子のパスワードを再設定" });
    expect(within(form).queryByLabelText("二段階認証も解除する")).toBeNull(); // it is off already
    fireEvent.click(within(form).getByRole("button", { name: "自動で作る" }));
    const input = within(form).getByLabelText("新しいパスワード") as HTMLInputElement;
    expect(input.type).toBe("text");
    const password = input.value;
    expect(password).toMatch(/^[A-Za-z2-9]{16}$/);
    fireEvent.click(within(form).getByRole("button", { name: "再設定する" }));
    const handOn = await screen.findByRole("group", { name: "花子さんの新しいパスワード" });
    expect((within(handOn).getByLabelText("新しいパスワード") as HTMLInputElement).value).toBe(password);
    expect(posted[0].body).toEqual({ new_password: password, reset_two_factor: false });
    fireEvent.click(within(handOn).getByRole("button", { name: "閉じる" }));
    expect(screen.queryByRole("group", { name: "花子さんの新しいパスワード" })).toBeNull();
  });

  it("deactivates after a confirmation, reactivates, and says at the row why one's own account stays", async () => {
    const { posted } = fakeServer([account({ id: 1 }), account({ id: 2, email: "hanako@shop.example", display_name: "花子" })]);
    const confirm = vi.spyOn(window, "confirm").mockReturnValueOnce(false).mockReturnValue(true);
    renderAccounts(1);
    const hanako = (await screen.findByRole("rowheader", { name: "花子" })).closest("tr") as HTMLElement;

    fireEvent.click(within(hanako).getByRole("button", { name: "花子を無効にする" }));
    expect(confirm.mock.calls[0][0]).toContain("花子(hanako@shop.example)を無効にしますか？");
    expect(posted).toHaveLength(0); // declined

    fireEvent.click(within(hanako).getByRole("button", { name: "花子を無効にする" }));
    await waitFor(() => expect(within(hanako).getAllByRole("cell")[1].textContent).toBe("無効"));
    expect(within(hanako).getByRole("status").textContent).toBe("無効にしました。");
    fireEvent.click(within(hanako).getByRole("button", { name: "花子を有効に戻す" }));
    await waitFor(() => expect(within(hanako).getAllByRole("cell")[1].textContent).toBe("有効"));
    expect(posted.map((p) => p.path)).toEqual(["/api/users/2/deactivate", "/api/users/2/activate"]);

    const me = screen.getByRole("rowheader", { name: /^運営/ }).closest("tr") as HTMLElement;
    fireEvent.click(within(me).getByRole("button", { name: "運営を無効にする" }));
    await waitFor(() =>
      expect(within(me).getByRole("alert").textContent).toBe("自分のアカウントは無効にできません。ほかの運営管理者に依頼してください。"),
    );
    expect(within(me).getAllByRole("cell")[1].textContent).toBe("有効");
  });

  it("makes passwords from the whole alphabet without look-alike characters", () => {
    const seen = new Set(Array.from({ length: 200 }, () => generatePassword()).join(""));
    for (const c of "0O1lI") expect(seen.has(c)).toBe(false);
    expect(seen.size).toBe(57);
  });

  it("speaks English when asked, with the same strings in both languages", async () => {
    expect(keyPaths(en.accounts).sort()).toEqual(keyPaths(ja.accounts).sort());
    fakeServer([account({ id: 1 })]);
    await i18n.changeLanguage("en");
    vi.spyOn(window, "confirm").mockReturnValue(true);
    renderAccounts(1);
    const table = await screen.findByRole("table", { name: "Accounts" });
    const row = within(table).getAllByRole("row")[1];
    expect(within(row).getAllByRole("cell").slice(1, 4).map((c) => c.textContent)).toEqual(["Active", "Off", "Never"]);
    fireEvent.click(within(row).getByRole("button", { name: "Deactivate 運営" }));
    await waitFor(() =>
      expect(within(row).getByRole("alert").textContent).toBe("You cannot deactivate your own account. Ask another platform admin."),
    );
  });
});
