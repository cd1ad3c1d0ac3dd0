// My account: change my password; turn two-factor sign-in (codes from an authenticator app) on or off.
import { Alert, Button, Input } from "antd";
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../../api";
import { CopyField, FormProblems, useSubmit } from "../settings/ui";
import { AccountField } from "./fields";
import "./account.css";

interface MeUser {
  user: { two_factor_enabled?: boolean };
}

export function AccountPanel({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  return (
    <section className="panel stack account-panel" aria-label={t("account.title")}>
      <div className="row">
        <h2>{t("account.title")}</h2>
        <span className="spacer" />
        <Button type="link" onClick={onClose}>
          {t("account.close")}
        </Button>
      </div>
      <ChangePassword />
      <TwoFactor />
    </section>
  );
}

/** A notice that something was done (a status, not an alert). */
function Done({ text }: { text: string }) {
  return <Alert type="success" role="status" message={text} />;
}

function ChangePassword() {
  const { t } = useTranslation();
  const blank = { current_password: "", new_password: "" };
  const [form, setForm] = useState(blank);
  const [done, setDone] = useState(false);
  const { errors, busy, submit } = useSubmit();
  return (
    <form
      className="stack"
      aria-label={t("account.password_title")}
      onSubmit={async (e) => {
        e.preventDefault();
        setDone(false);
        if ((await submit(() => api.post("/api/auth/password", form).then(() => true))) === true) {
          setForm(blank);
          setDone(true);
        }
      }}
    >
      <h3>{t("account.password_title")}</h3>
      <div className="account-fields">
        <AccountField id="account-current-password" label={t("account.current_password")} name="current_password" errors={errors}>
          <Input.Password
            id="account-current-password"
            autoComplete="current-password"
            value={form.current_password}
            onChange={(e) => setForm({ ...form, current_password: e.target.value })}
            required
          />
        </AccountField>
        <AccountField id="account-new-password" label={t("account.new_password")} name="new_password" errors={errors}>
          <Input.Password
            id="account-new-password"
            autoComplete="new-password"
            value={form.new_password}
            onChange={(e) => setForm({ ...form, new_password: e.target.value })}
            required
          />
        </AccountField>
        <Button type="primary" htmlType="submit" loading={busy}>
          {t("account.change_password")}
        </Button>
      </div>
      <FormProblems errors={errors} shown={["current_password", "new_password"]} />
      {done && <Done text={t("account.password_changed")} />}
    </form>
  );
}

function TwoFactor() {
  const { t } = useTranslation();
  const [enabled, setEnabled] = useState<boolean | null>(null);
  const [started, setStarted] = useState<{ secret: string; otpauth_uri: string } | null>(null);
  const [code, setCode] = useState("");
  const [said, setSaid] = useState<string | null>(null);
  const { errors, busy, submit } = useSubmit();
  const load = useCallback(async () => {
    const me = await api.get<MeUser>("/api/auth/me");
    setEnabled(me.user.two_factor_enabled === true);
  }, []);
  useEffect(() => {
    void load();
  }, [load]);
  if (enabled === null) return null;
  const send = async (verb: "confirm" | "disable") => {
    const ok = await submit(() => api.post(`/api/auth/two-factor/${verb}`, { code }).then(() => true));
    if (ok === true) {
      setCode("");
      setStarted(null);
      setSaid(t(verb === "confirm" ? "account.two_factor_enabled" : "account.two_factor_disabled"));
      await load();
    }
  };
  const codeField = (
    <AccountField id="account-two-factor-code" label={t("account.code")} name="code" errors={errors}>
      <Input
        id="account-two-factor-code"
        inputMode="numeric"
        autoComplete="one-time-code"
        value={code}
        onChange={(e) => setCode(e.target.value)}
      />
    </AccountField>
  );
  return (
    <div className="stack" role="group" aria-label={t("account.two_factor_title")}>
      <h3>{t("account.two_factor_title")}</h3>
      <p className="muted">{t(enabled ? "account.two_factor_on" : "account.two_factor_off")}</p>
      {!enabled && !started && (
        <div>
          <Button
            loading={busy}
            onClick={async () => {
              setSaid(null);
              const result = await submit(() => api.post<{ secret: string; otpauth_uri: string }>("/api/auth/two-factor"));
              if (result) setStarted(result);
            }}
          >
            {t("account.two_factor_start")}
          </Button>
        </div>
      )}
      {!enabled && started && (
        <>
          <CopyField value={started.secret} label={t("account.two_factor_secret")} />
          <CopyField value={started.otpauth_uri} label={t("account.two_factor_uri")} />
          <div className="account-fields">
            {codeField}
            <Button type="primary" loading={busy} onClick={() => void send("confirm")}>
              {t("account.two_factor_confirm")}
            </Button>
          </div>
        </>
      )}
      {enabled && (
        <div className="account-fields">
          {codeField}
          <Button danger loading={busy} onClick={() => void send("disable")}>
            {t("account.two_factor_disable")}
          </Button>
        </div>
      )}
      <FormProblems errors={errors} shown={["code"]} />
      {said && <Done text={said} />}
    </div>
  );
}
