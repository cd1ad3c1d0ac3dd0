// My account: change my password; turn two-factor sign-in (codes from an authenticator app) on or off.
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../../api";
import { CopyField, Field, FormProblems, useSubmit } from "../settings/ui";

interface MeUser {
  user: { two_factor_enabled?: boolean };
}

export function AccountPanel({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  return (
    <section className="panel stack" aria-label={t("account.title")}>
      <div className="row">
        <h2>{t("account.title")}</h2>
        <span className="spacer" />
        <button type="button" className="link" onClick={onClose}>
          {t("account.close")}
        </button>
      </div>
      <ChangePassword />
      <TwoFactor />
    </section>
  );
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
      <div className="row">
        <Field label={t("account.current_password")} name="current_password" errors={errors}>
          <input
            type="password"
            autoComplete="current-password"
            value={form.current_password}
            onChange={(e) => setForm({ ...form, current_password: e.target.value })}
            required
          />
        </Field>
        <Field label={t("account.new_password")} name="new_password" errors={errors}>
          <input
            type="password"
            autoComplete="new-password"
            value={form.new_password}
            onChange={(e) => setForm({ ...form, new_password: e.target.value })}
            required
          />
        </Field>
        <button type="submit" className="primary" disabled={busy}>
          {t("account.change_password")}
        </button>
      </div>
      <FormProblems errors={errors} shown={["current_password", "new_password"]} />
      {done && <p role="status">{t("account.password_changed")}</p>}
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
    <Field label={t("account.code")} name="code" errors={errors}>
      <input inputMode="numeric" autoComplete="one-time-code" value={code} onChange={(e) => setCode(e.target.value)} />
    </Field>
  );
  return (
    <div className="stack" role="group" aria-label={t("account.two_factor_title")}>
      <h3>{t("account.two_factor_title")}</h3>
      <p className="muted">{t(enabled ? "account.two_factor_on" : "account.two_factor_off")}</p>
      {!enabled && !started && (
        <button
          type="button"
          disabled={busy}
          onClick={async () => {
            setSaid(null);
            const result = await submit(() => api.post<{ secret: string; otpauth_uri: string }>("/api/auth/two-factor"));
            if (result) setStarted(result);
          }}
        >
          {t("account.two_factor_start")}
        </button>
      )}
      {!enabled && started && (
        <>
          <CopyField value={started.secret} label={t("account.two_factor_secret")} />
          <CopyField value={started.otpauth_uri} label={t("account.two_factor_uri")} />
          <div className="row">
            {codeField}
            <button type="button" className="primary" disabled={busy} onClick={() => void send("confirm")}>
              {t("account.two_factor_confirm")}
            </button>
          </div>
        </>
      )}
      {enabled && (
        <div className="row">
          {codeField}
          <button type="button" className="danger" disabled={busy} onClick={() => void send("disable")}>
            {t("account.two_factor_disable")}
          </button>
        </div>
      )}
      <FormProblems errors={errors} shown={["code"]} />
      {said && <p role="status">{said}</p>}
    </div>
  );
}
