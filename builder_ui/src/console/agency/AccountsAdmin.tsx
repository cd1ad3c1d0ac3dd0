// Accounts (platform admins only): everyone who can sign in, with a way to set a new password for someone who
// lost theirs (optionally ending their two-factor sign-in too), and to deactivate or reactivate an account.
// The server refuses to deactivate oneself or the last platform admin; its answer is shown on the account's row.
import { Button, Checkbox, Input, Table, Tag, type TableColumnsType } from "antd";
import { useCallback, useEffect, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { api, ApiError } from "../../api";
import { localized } from "../../i18n";
import { CopyField } from "../settings/ui";
import { Field } from "./Field";
import { fieldErrors, type FieldErrors } from "./forms";
import { useNamedTable } from "../../components/tables";

export interface Account {
  id: number;
  email: string;
  display_name: string;
  is_platform_admin: boolean;
  is_active: boolean;
  two_factor_enabled: boolean;
  created_at: string;
  last_login_at: string | null;
}

/** The server's minimum (core/enishi/auth/passwords.py), said in the hint before anyone types. */
export const MIN_PASSWORD_LENGTH = 10;

/** A password to hand on: letters and digits without look-alikes (0/O, 1/l/I), from the browser's CSPRNG. */
export function generatePassword(length = 16): string {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  // Bytes at or above the last whole multiple of the alphabet's size are dropped: every character equally likely.
  const limit = alphabet.length * Math.floor(256 / alphabet.length);
  const out: string[] = [];
  const bytes = new Uint8Array(1);
  while (out.length < length) {
    crypto.getRandomValues(bytes);
    if (bytes[0] < limit) out.push(alphabet[bytes[0] % alphabet.length]);
  }
  return out.join("");
}

type Note = { error: boolean; text: string };

export function AccountsAdmin({ meId }: { meId: number }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const [accounts, setAccounts] = useState<Account[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [resetting, setResetting] = useState<number | null>(null);
  const [notes, setNotes] = useState<Record<number, Note>>({});
  const [busy, setBusy] = useState<number | null>(null);
  // A generated password, shown once after it is set so that it can be handed on.
  const [handOn, setHandOn] = useState<{ id: number; password: string } | null>(null);

  const load = useCallback(async () => {
    try {
      setAccounts(await api.get<Account[]>("/api/users"));
    } catch (e) {
      setLoadError(localized(e instanceof Error ? e.message : String(e), lang));
    }
  }, [lang]);
  useEffect(() => {
    void load();
  }, [load]);

  const note = (id: number, value: Note | null) =>
    setNotes((n) => {
      const { [id]: _gone, ...rest } = n;
      return value ? { ...rest, [id]: value } : rest;
    });
  const nameOf = (a: Account) => a.display_name || a.email;
  const when = (iso: string | null) =>
    iso
      ? new Date(iso).toLocaleString(lang === "en" ? "en-GB" : "ja-JP", { dateStyle: "medium", timeStyle: "short" })
      : t("agency.accounts.never");

  /** What went wrong, in the person's language: the server's known refusals by their code. */
  const problem = (error: unknown): string => {
    if (error instanceof ApiError && ["own_account", "last_admin", "not_found"].includes(error.code)) {
      return t(`agency.accounts.error.${error.code}`);
    }
    return localized(error instanceof Error ? error.message : String(error), lang);
  };

  const setActive = async (account: Account, active: boolean) => {
    if (!active && !window.confirm(t("agency.accounts.confirm_deactivate", { name: nameOf(account), email: account.email }))) {
      return;
    }
    setBusy(account.id);
    note(account.id, null);
    try {
      const changed = await api.post<Account>(`/api/users/${account.id}/${active ? "activate" : "deactivate"}`);
      setAccounts((list) => list?.map((a) => (a.id === changed.id ? changed : a)) ?? null);
      note(account.id, { error: false, text: t(active ? "agency.accounts.activated" : "agency.accounts.deactivated") });
    } catch (error) {
      note(account.id, { error: true, text: problem(error) });
    } finally {
      setBusy(null);
    }
  };

  // The table's accessible name; one component for as long as the name holds (a new one would redraw the table,
  // and the form open in it).
  const label = t("agency.accounts.title");
  const components = useNamedTable(label);

  if (loadError) return <p className="error">{t("common.failed", { message: loadError })}</p>;
  if (!accounts) return <p className="loading">{t("common.loading")}</p>;
  const columns: TableColumnsType<Account> = [
    {
      key: "name",
      title: t("agency.accounts.name"),
      rowScope: "row",
      render: (_, a) => (
        <>
          {nameOf(a)}
          {a.id === meId && <span className="muted small"> {t("agency.accounts.you")}</span>}
          {a.is_platform_admin && <Tag className="badge">{t("agency.accounts.platform_admin")}</Tag>}
        </>
      ),
    },
    { key: "email", title: t("agency.accounts.email"), dataIndex: "email" },
    {
      key: "state",
      title: t("agency.accounts.state"),
      render: (_, a) => t(a.is_active ? "agency.accounts.active" : "agency.accounts.inactive"),
    },
    {
      key: "two_factor",
      title: t("agency.accounts.two_factor"),
      render: (_, a) => t(a.two_factor_enabled ? "agency.accounts.on" : "agency.accounts.off"),
    },
    { key: "last_login", title: t("agency.accounts.last_login"), render: (_, a) => when(a.last_login_at) },
    {
      key: "actions",
      title: <span className="visually-hidden">{t("agency.accounts.actions")}</span>,
      render: (_, a) => {
        const name = nameOf(a);
        const said = notes[a.id];
        return (
          <>
            <div className="row-actions">
              <Button
                aria-label={t("agency.accounts.reset_of", { name })}
                onClick={() => (setResetting(a.id), setHandOn(null), note(a.id, null))}
              >
                {t("agency.accounts.reset")}
              </Button>
              {a.is_active ? (
                <Button
                  danger
                  loading={busy === a.id}
                  aria-label={t("agency.accounts.deactivate_of", { name })}
                  onClick={() => void setActive(a, false)}
                >
                  {t("agency.accounts.deactivate")}
                </Button>
              ) : (
                <Button
                  loading={busy === a.id}
                  aria-label={t("agency.accounts.activate_of", { name })}
                  onClick={() => void setActive(a, true)}
                >
                  {t("agency.accounts.activate")}
                </Button>
              )}
            </div>
            {said && (
              <p role={said.error ? "alert" : "status"} className={said.error ? "error small" : "muted small"}>
                {said.text}
              </p>
            )}
          </>
        );
      },
    },
  ];
  // Under the account's own row: the password form, or the generated password to hand on.
  const detail = (a: Account) => {
    const name = nameOf(a);
    if (resetting === a.id) {
      return (
        <PasswordReset
          account={a}
          problem={problem}
          onCancel={() => setResetting(null)}
          onDone={async (password, generated, twoFactorToo) => {
            setResetting(null);
            if (generated) setHandOn({ id: a.id, password });
            note(a.id, {
              error: false,
              text: t(twoFactorToo ? "agency.accounts.reset_done_two_factor" : "agency.accounts.reset_done"),
            });
            await load();
          }}
        />
      );
    }
    if (handOn?.id === a.id) {
      return (
        <div className="card hand-on" role="group" aria-label={t("agency.accounts.hand_on", { name })}>
          <p>{t("agency.accounts.hand_on", { name })}</p>
          <CopyField value={handOn.password} label={t("agency.accounts.new_password")} />
          <p className="muted small">{t("agency.accounts.hand_on_once")}</p>
          <Button onClick={() => setHandOn(null)}>{t("common.close")}</Button>
        </div>
      );
    }
    return null;
  };
  const open = accounts.filter((a) => resetting === a.id || handOn?.id === a.id).map((a) => a.id);
  return (
    <section className="accounts" aria-label={t("agency.accounts.title")}>
      <p className="muted">{t("agency.accounts.intro")}</p>
      <Table<Account>
        className="accounts-table"
        rowKey="id"
        columns={columns}
        dataSource={accounts}
        pagination={false}
        size="middle"
        components={components}
        rowClassName={(a) => (a.is_active ? "" : "inactive")}
        expandable={{
          expandedRowKeys: open,
          expandedRowRender: detail,
          showExpandColumn: false,
          expandedRowClassName: () => "account-detail",
        }}
      />
    </section>
  );
}

function PasswordReset({
  account,
  problem,
  onCancel,
  onDone,
}: {
  account: Account;
  problem: (error: unknown) => string;
  onCancel: () => void;
  onDone: (password: string, generated: boolean, twoFactorToo: boolean) => Promise<void>;
}) {
  const { t } = useTranslation();
  const [password, setPassword] = useState("");
  const [generated, setGenerated] = useState(false);
  const [shown, setShown] = useState(false);
  const [twoFactorToo, setTwoFactorToo] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [saving, setSaving] = useState(false);
  const heading = t("agency.accounts.reset_of", { name: account.display_name || account.email });
  const id = (name: string) => `reset-${account.id}-${name}`;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!password) {
      setErrors({ "$.new_password": [t("agency.accounts.error.password_missing")] });
      return;
    }
    setSaving(true);
    setErrors({});
    try {
      await api.post(`/api/users/${account.id}/password`, { new_password: password, reset_two_factor: twoFactorToo });
      await onDone(password, generated, twoFactorToo);
    } catch (error) {
      if (error instanceof ApiError && error.errors.length) setErrors(fieldErrors(error.errors));
      else setErrors({ $: [problem(error)] });
    } finally {
      setSaving(false);
    }
  };

  return (
    <form className="password-reset card" aria-label={heading} onSubmit={submit} noValidate>
      <h3>{heading}</h3>
      <p className="muted small">{t("agency.accounts.reset_explained", { email: account.email })}</p>
      <Field
        id={id("password")}
        label={t("agency.accounts.new_password")}
        errors={errors["$.new_password"]}
        hint={t("agency.accounts.password_hint", { min: MIN_PASSWORD_LENGTH })}
      >
        {/* Shown or hidden by the box below (not Input.Password's eye, which a keyboard does not reach). */}
        <Input
          id={id("password")}
          type={shown ? "text" : "password"}
          autoComplete="new-password"
          value={password}
          onChange={(e) => {
            setPassword(e.target.value);
            setGenerated(false);
            setErrors({});
          }}
        />
      </Field>
      <div className="inline-actions">
        <Button
          onClick={() => {
            setPassword(generatePassword());
            setGenerated(true);
            setShown(true);
            setErrors({});
          }}
        >
          {t("agency.accounts.generate")}
        </Button>
        <Checkbox checked={shown} onChange={(e) => setShown(e.target.checked)}>
          {t("agency.accounts.show_password")}
        </Checkbox>
      </div>
      {account.two_factor_enabled && (
        <div className="field">
          <Checkbox checked={twoFactorToo} onChange={(e) => setTwoFactorToo(e.target.checked)}>
            {t("agency.accounts.reset_two_factor")}
          </Checkbox>
          <p className="muted small">{t("agency.accounts.reset_two_factor_hint")}</p>
        </div>
      )}
      {errors.$ && (
        <p role="alert" className="error">
          {errors.$.join(" ")}
        </p>
      )}
      <div className="actions">
        <Button type="primary" htmlType="submit" loading={saving}>
          {t("agency.accounts.reset_submit")}
        </Button>
        <Button onClick={onCancel}>{t("agency.cancel")}</Button>
      </div>
    </form>
  );
}
