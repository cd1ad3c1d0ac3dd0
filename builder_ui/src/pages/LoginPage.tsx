// Signing in: e-mail address and password (and the code of an authenticator app when the account asks for one),
// in the components' look.
import { Alert, Button, Form, Input } from "antd";
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { api, ApiError, setCsrfToken } from "../api";
import type { Me } from "../types";

/** The card spaces its fields itself (a form item's own margin would double it). */
const FIELD = { marginBottom: 0 };

export function LoginPage({ onLoggedIn }: { onLoggedIn: () => Promise<void> }) {
  const { t } = useTranslation();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  // Asked for when the account has two-factor sign-in (the server answers two_factor_required).
  const [code, setCode] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const me = await api.post<Me>("/api/auth/login", code === null ? { email, password } : { email, password, totp_code: code });
      setCsrfToken(me.csrf_token);
      await onLoggedIn();
    } catch (e) {
      if (e instanceof ApiError && e.code === "two_factor_required") {
        setCode("");
        setError(t("account.code_needed"));
      } else if (e instanceof ApiError && e.code === "bad_two_factor_code") setError(t("account.code_wrong"));
      else if (e instanceof ApiError && e.status === 401) setError(t("login.wrong"));
      else if (e instanceof ApiError && e.status === 429) setError(t("login.throttled"));
      else setError(t("common.failed", { message: e instanceof Error ? e.message : String(e) }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="login">
      <form onSubmit={submit} className="login-card" aria-label={t("login.title")}>
        <h1>縁 Enishi</h1>
        <p className="muted">{t("login.subtitle")}</p>
        <Form.Item label={t("login.email")} htmlFor="login-email" layout="vertical" style={FIELD}>
          <Input
            id="login-email"
            type="email"
            autoComplete="username"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            required
          />
        </Form.Item>
        <Form.Item label={t("login.password")} htmlFor="login-password" layout="vertical" style={FIELD}>
          <Input.Password
            id="login-password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
        </Form.Item>
        {code !== null && (
          <Form.Item label={t("account.code")} htmlFor="login-code" layout="vertical" style={FIELD}>
            <Input
              id="login-code"
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9 ]{6,7}"
              value={code}
              onChange={(e) => setCode(e.target.value)}
              required
              autoFocus
            />
          </Form.Item>
        )}
        {error && <Alert type="error" message={error} />}
        <Button type="primary" htmlType="submit" loading={busy} block>
          {t("login.submit")}
        </Button>
      </form>
    </div>
  );
}
