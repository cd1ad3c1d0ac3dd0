import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { inConsole } from "../../test/router";
import { AccountPanel } from "./AccountPanel";

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

afterEach(() => {
  vi.restoreAllMocks();
});

describe("my account", () => {
  it("changes my password, showing a wrong current password at its field", async () => {
    const posted: unknown[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (url, init) => {
      if (init?.method === "POST" && String(url) === "/api/auth/password") {
        const body = JSON.parse(String(init.body));
        posted.push(body);
        if (body.current_password !== "old secret 123") {
          return json(
            { error: "invalid", message: "入力内容に誤りがあります / invalid input", errors: [{ path: "$.current_password", message: "パスワードが違います / wrong password" }] },
            422,
          );
        }
        return new Response(null, { status: 204 });
      }
      return json({ user: { two_factor_enabled: false } });
    });
    render(<AccountPanel onClose={() => undefined} />, inConsole);
    const form = screen.getByRole("form", { name: "パスワードの変更" });
    const currentInput = within(form).getByLabelText("現在のパスワード");
    fireEvent.change(currentInput, { target: { value: "guess" } });
    fireEvent.change(within(form).getByLabelText("新しいパスワード"), { target: { value: "new secret 456" } });
    fireEvent.click(within(form).getByRole("button", { name: "変更する" }));
    const current = currentInput.closest("[data-field]") as HTMLElement;
    await waitFor(() => expect(within(current).getByRole("alert").textContent).toBe("パスワードが違います"));
    // (the field itself drawn in its error state)
    expect(currentInput.closest(".ant-form-item")?.classList.contains("ant-form-item-has-error")).toBe(true);
    fireEvent.change(currentInput, { target: { value: "old secret 123" } });
    fireEvent.click(within(form).getByRole("button", { name: "変更する" }));
    expect((await within(form).findByRole("status")).textContent).toContain("パスワードを変更しました");
    expect(posted[1]).toEqual({ current_password: "old secret 123", new_password: "new secret 456" });
  });

  it("sets up two-factor sign-in with a key and a confirming code", async () => {
    let enabled = false;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (url, init) => {
      const path = String(url);
      if (path === "/api/auth/two-factor") return json({ secret: "JBSWY3DPEHPK3PXP", otpauth_uri: "otpauth://totp/Enishi:me?secret=JBSWY3DPEHPK3PXP" }, 201);
      if (path === "/api/auth/two-factor/confirm") {
        if (JSON.parse(String(init?.body)).code !== "123456") {
          return json({ error: "invalid", message: "確認コードが違います / wrong", errors: [{ path: "$.code", message: "確認コードが違います / wrong" }] }, 422);
        }
        enabled = true;
        return new Response(null, { status: 204 });
      }
      return json({ user: { two_factor_enabled: enabled } });
    });
    render(<AccountPanel onClose={() => undefined} />, inConsole);
    const group = await screen.findByRole("group", { name: "二段階認証" });
    fireEvent.click(within(group).getByRole("button", { name: "設定を始める" }));
    expect(((await within(group).findByLabelText("認証アプリに登録するキー")) as HTMLInputElement).value).toBe("JBSWY3DPEHPK3PXP");
    const codeInput = within(group).getByLabelText("確認コード(認証アプリの6桁)");
    fireEvent.change(codeInput, { target: { value: "000000" } });
    fireEvent.click(within(group).getByRole("button", { name: "有効にする" }));
    await waitFor(() => expect(within(group).getAllByRole("alert")[0].textContent).toBe("確認コードが違います"));
    fireEvent.change(codeInput, { target: { value: "123456" } });
    fireEvent.click(within(group).getByRole("button", { name: "有効にする" }));
    expect((await within(group).findByRole("status")).textContent).toBe("二段階認証を有効にしました。");
    await waitFor(() => expect(within(group).getByRole("button", { name: "無効にする" })).toBeTruthy());
  });
});
