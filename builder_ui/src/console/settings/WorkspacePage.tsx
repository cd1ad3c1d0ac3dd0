// The workspace itself: name, time zone, and the LINE channel it is connected to. The channel secret and the
// access token are write-only: the form never shows them, an empty box leaves them as they are. The optional LINE
// Login channel (inflow routes and the member card page name the LINE user with it) works the same way.
import { Button, Checkbox, Input } from "antd";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, workspaceUrl } from "../../api";
import { TimeField } from "../../components/TimeFields";
import { TimeZoneSelect } from "../../components/TimeZoneSelect";
import { localized } from "../../i18n";
import { useCatalog } from "../../platform/catalog";
import type { WorkspaceAccess } from "../../types";
import { errorsWithin } from "./errors";
import { CopyField, Field, FormProblems, useSubmit } from "./ui";

interface WorkspaceDetail {
  id: number;
  name: string;
  timezone: string;
  line_channel_id: string;
  webhook_url: string;
  line_login_channel_id?: string | null;
  /** Scenario pushes wait out these hours (a scenario may set its own). */
  quiet_hours?: QuietHours;
}

interface QuietHours {
  enabled: boolean;
  start: string;
  end: string;
}

const NO_QUIET: QuietHours = { enabled: false, start: "22:00", end: "08:00" };

interface WorkspaceForm {
  name: string;
  timezone: string;
  channel_id: string;
  channel_secret: string;
  access_token: string;
  login_channel_id?: string;
  login_channel_secret?: string;
}

/** Only what changed, and the secrets only when typed; an emptied LINE Login channel id removes it (null). */
export function workspaceChanges(
  before: Pick<WorkspaceDetail, "name" | "timezone" | "line_channel_id" | "line_login_channel_id">,
  form: WorkspaceForm,
): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (form.name !== before.name) out.name = form.name;
  if (form.timezone !== before.timezone) out.timezone = form.timezone;
  if (form.channel_id !== before.line_channel_id) out.channel_id = form.channel_id;
  if (form.channel_secret) out.channel_secret = form.channel_secret;
  if (form.access_token) out.access_token = form.access_token;
  const login = (form.login_channel_id ?? "").trim();
  if (login !== (before.line_login_channel_id ?? "")) out.login_channel_id = login || null;
  if (form.login_channel_secret) out.login_channel_secret = form.login_channel_secret;
  return out;
}

export function WorkspacePage({ access, reloadAccess }: { access: WorkspaceAccess; reloadAccess?: () => void }) {
  const { t, i18n } = useTranslation();
  // The plugins enabled here that sign LINE users in, each with the callback URL LINE Developers needs.
  const callbacks = useCatalog()?.line_login_callbacks ?? [];
  const url = workspaceUrl(access.workspace.id);
  const canManage = access.permissions.includes("core.manage_workspace");
  const [detail, setDetail] = useState<WorkspaceDetail | null>(null);
  const [form, setForm] = useState<Required<WorkspaceForm>>({
    name: "",
    timezone: "",
    channel_id: "",
    channel_secret: "",
    access_token: "",
    login_channel_id: "",
    login_channel_secret: "",
  });
  const [saved, setSaved] = useState(false);
  const [quiet, setQuiet] = useState<QuietHours>(NO_QUIET);
  const { errors, busy, submit } = useSubmit();
  const show = (w: WorkspaceDetail) => {
    setDetail(w);
    setForm({
      name: w.name,
      timezone: w.timezone,
      channel_id: w.line_channel_id,
      channel_secret: "",
      access_token: "",
      login_channel_id: w.line_login_channel_id ?? "",
      login_channel_secret: "",
    });
    setQuiet(w.quiet_hours ?? NO_QUIET);
  };
  useEffect(() => {
    void api.get<{ workspace: WorkspaceDetail }>(url).then((a) => show(a.workspace));
  }, [url]);
  if (!detail) return <p className="loading">{t("common.loading")}</p>;
  const set = (key: keyof typeof form, value: string) => {
    setSaved(false);
    setForm({ ...form, [key]: value });
  };
  const quietChanged = JSON.stringify(quiet) !== JSON.stringify(detail.quiet_hours ?? NO_QUIET);
  const changes: Record<string, unknown> = { ...workspaceChanges(detail, form), ...(quietChanged ? { quiet_hours: quiet } : {}) };
  const setQuietPart = (part: Partial<QuietHours>) => {
    setSaved(false);
    setQuiet({ ...quiet, ...part });
  };
  return (
    <section className="settings-page" aria-labelledby="workspace-title">
      <h2 id="workspace-title">{t("settings.workspace.title")}</h2>
      <form
        className="stack narrow"
        onSubmit={async (e) => {
          e.preventDefault();
          const result = await submit(() => api.patch<WorkspaceDetail>(url, changes));
          if (result) {
            show(result);
            setSaved(true);
            reloadAccess?.();
          }
        }}
      >
        <fieldset disabled={!canManage} className="stack">
          <Field label={t("settings.workspace.name")} name="name" id="workspace-name" errors={errors}>
            <Input
              id="workspace-name"
              status={errorsWithin(errors, "name").length ? "error" : undefined}
              value={form.name}
              onChange={(e) => set("name", e.target.value)}
            />
          </Field>
          <Field label={t("settings.workspace.timezone")} name="timezone" id="workspace-timezone" errors={errors}>
            <TimeZoneSelect
              id="workspace-timezone"
              status={errorsWithin(errors, "timezone").length ? "error" : undefined}
              value={form.timezone}
              onChange={(zone) => set("timezone", zone)}
            />
          </Field>
          <fieldset className="stack" aria-label={t("settings.workspace.quiet_hours")}>
            <Checkbox checked={quiet.enabled} onChange={(e) => setQuietPart({ enabled: e.target.checked })}>
              {t("settings.workspace.quiet_hours_enabled")}
            </Checkbox>
            {quiet.enabled && (
              <div className="row">
                <TimeField label={t("settings.workspace.quiet_start")} value={quiet.start} onChange={(start) => setQuietPart({ start })} />
                <span>〜</span>
                <TimeField label={t("settings.workspace.quiet_end")} value={quiet.end} onChange={(end) => setQuietPart({ end })} />
              </div>
            )}
            <p className="muted small">{t("settings.workspace.quiet_hours_note")}</p>
          </fieldset>
          <h3>{t("settings.workspace.line")}</h3>
          <Field label={t("settings.workspace.channel_id")} name="channel_id" id="workspace-channel-id" errors={errors}>
            <Input
              id="workspace-channel-id"
              status={errorsWithin(errors, "channel_id").length ? "error" : undefined}
              value={form.channel_id}
              onChange={(e) => set("channel_id", e.target.value)}
              className="mono"
            />
          </Field>
          <Field label={t("settings.workspace.channel_secret")} name="channel_secret" id="workspace-channel-secret" errors={errors} hint={t("settings.workspace.secret_hint")}>
            <Input
              id="workspace-channel-secret"
              status={errorsWithin(errors, "channel_secret").length ? "error" : undefined}
              type="password"
              autoComplete="new-password"
              value={form.channel_secret}
              onChange={(e) => set("channel_secret", e.target.value)}
            />
          </Field>
          <Field label={t("settings.workspace.access_token")} name="access_token" id="workspace-access-token" errors={errors} hint={t("settings.workspace.secret_hint")}>
            <Input
              id="workspace-access-token"
              status={errorsWithin(errors, "access_token").length ? "error" : undefined}
              type="password"
              autoComplete="new-password"
              value={form.access_token}
              onChange={(e) => set("access_token", e.target.value)}
            />
          </Field>
          <h3>{t("settings.workspace.login")}</h3>
          <p className="muted small">{t("settings.workspace.login_note")}</p>
          <Field
            label={t("settings.workspace.login_channel_id")}
            name="login_channel_id"
            id="workspace-login-channel-id"
            errors={errors}
            hint={detail.line_login_channel_id ? t("settings.workspace.login_clear") : undefined}
          >
            <Input
              id="workspace-login-channel-id"
              status={errorsWithin(errors, "login_channel_id").length ? "error" : undefined}
              value={form.login_channel_id}
              onChange={(e) => set("login_channel_id", e.target.value)}
              className="mono"
              inputMode="numeric"
            />
          </Field>
          <Field
            label={t("settings.workspace.login_channel_secret")}
            name="login_channel_secret"
            id="workspace-login-channel-secret"
            errors={errors}
            hint={t("settings.workspace.secret_hint")}
          >
            <Input
              id="workspace-login-channel-secret"
              status={errorsWithin(errors, "login_channel_secret").length ? "error" : undefined}
              type="password"
              autoComplete="new-password"
              value={form.login_channel_secret}
              onChange={(e) => set("login_channel_secret", e.target.value)}
            />
          </Field>
          <FormProblems
            errors={errors}
            shown={[
              "name",
              "timezone",
              "channel_id",
              "channel_secret",
              "access_token",
              "login_channel_id",
              "login_channel_secret",
            ]}
          />
          <div className="row">
            <Button type="primary" htmlType="submit" loading={busy} disabled={Object.keys(changes).length === 0}>
              {t("settings.save")}
            </Button>
            {saved && <span className="ok">{t("settings.saved")}</span>}
          </div>
        </fieldset>
      </form>
      <div className="field narrow">
        <span className="field-label">{t("settings.workspace.webhook_url")}</span>
        <CopyField value={detail.webhook_url} label={t("settings.workspace.webhook_url")} />
        <span className="muted small">{t("settings.workspace.webhook_hint")}</span>
      </div>
      <div className="field narrow">
        <span className="field-label">{t("settings.workspace.callback_urls")}</span>
        {callbacks.length === 0 ? (
          <span className="muted small">{t("settings.workspace.no_callbacks")}</span>
        ) : (
          callbacks.map((c) => (
            <CopyField
              key={c.plugin}
              value={c.url}
              label={t("settings.workspace.callback_of", { title: localized(c.title, i18n.language) })}
            />
          ))
        )}
      </div>
    </section>
  );
}
