import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { inConsole } from "../../test/router";
import { LoginPage } from "../../pages/LoginPage";

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

afterEach(() => {
  vi.restoreAllMocks();
});

describe("signing in with two-factor sign-in", () => {
  it("asks for the code when the account wants one and sends it with the password", async () => {
    const bodies: Record<string, unknown>[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (_url, init) => {
      const body = JSON.parse(String(init?.body));
      bodies.push(body);
      if (!body.totp_code) {
        return json({ status: 401, error: "two_factor_required", message: "x", errors: [{ path: "$.totp_code", message: "required" }] }, 401);
      }
      if (body.totp_code !== "123456") return json({ status: 401, error: "bad_two_factor_code", message: "x", errors: [] }, 401);
      return json({ user: { id: 1 }, memberships: [], csrf_token: "t" });
    });
    const loggedIn = vi.fn(async () => undefined);
    render(<LoginPage onLoggedIn={loggedIn} />, inConsole);
    fireEvent.change(screen.getByLabelText("メールアドレス"), { target: { value: "staff@shop.example" } });
    fireEvent.change(screen.getByLabelText("パスワード"), { target: { value: "correct horse battery" } });
    fireEvent.click(screen.getByRole("button", { name: "ログイン" }));
    const code = await screen.findByLabelText("確認コード(認証アプリの6桁)");
    expect(screen.getByRole("alert").textContent).toContain("確認コードを入力してください");
    fireEvent.change(code, { target: { value: "000000" } });
    fireEvent.click(screen.getByRole("button", { name: "ログイン" }));
    await waitFor(() => expect(screen.getByRole("alert").textContent).toBe("確認コードが違うか、すでに使われています"));
    fireEvent.change(code, { target: { value: "123456" } });
    fireEvent.click(screen.getByRole("button", { name: "ログイン" }));
    await waitFor(() => expect(loggedIn).toHaveBeenCalled());
    expect(bodies[bodies.length - 1]).toEqual({ email: "staff@shop.example", password: "correct horse battery", totp_code: "123456" });
    expect(bodies[0]).toEqual({ email: "staff@shop.example", password: "correct horse battery" });
  });
});
