// /agency: the client workspaces of the user's agencies, each with its plan and enabled plugins and a way in;
// agency admins add a client workspace there. Platform admins also manage the plans and every account (tabs only
// they see).
import { useQueries, useQuery } from "@tanstack/react-query";
import { Button, Input, Select, Table, Tabs, Tag, type TableColumnsType } from "antd";
import { useMemo, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { api, ApiError } from "../../api";
import { localized } from "../../i18n";
import { keyOfUrl, queryClient, queryKeys } from "../../query";
import type { Me, WorkspaceAccess, WorkspaceSummary } from "../../types";
import { useNamedTable } from "../../components/tables";
import { TimeZoneSelect } from "../../components/TimeZoneSelect";
import { Field } from "./Field";
import { AccountsAdmin } from "./AccountsAdmin";
import { fieldErrors, type FieldErrors, type InstalledPlugin, type Plan } from "./forms";
import { PlansAdmin } from "./PlansAdmin";
import "./agency.css";

interface Agency {
  id: number;
  name: string;
}

interface Workspace extends WorkspaceSummary {
  plan_id: number;
}

/** What the agency view loads: who is looking, their agencies, the workspaces, plans and installed plugins. */
interface Loaded {
  me: Me;
  agencies: Agency[];
  workspaces: Workspace[];
  plans: Plan[];
  plugins: InstalledPlugin[];
}

const ADMIN_ROLES = ["owner", "admin"];

const ME_URL = "/api/auth/me";
const AGENCIES_URL = "/api/agencies";
const WORKSPACES_URL = "/api/workspaces";
const PLANS_URL = "/api/plans";
const PLUGINS_URL = "/api/plugins";
const OVERVIEW_URL = "/api/workspaces/overview";

/** A workspace's numbers for the agency: friends, LINE's count of this month's messages and its quota (as last
 * cached; null while not fetched this month). */
export interface WorkspaceOverview {
  workspace_id: number;
  friends: number;
  messages_this_month: number | null;
  quota_type: string | null;
  quota_limit: number | null;
  quota_fetched_at: string | null;
  held: boolean;
}

function useGet<T>(url: string) {
  return useQuery({ queryKey: keyOfUrl(url), queryFn: ({ signal }) => api.get<T>(url, signal) }, queryClient);
}

/** After a change here (a plan, a plan's plugins, a new workspace): the lists read again, and everything read
 * for any workspace (what a workspace has enabled follows its plan). Done once the ones shown are read. */
async function reloadAgency(): Promise<void> {
  await Promise.all([
    ...[ME_URL, AGENCIES_URL, WORKSPACES_URL, PLANS_URL, PLUGINS_URL, OVERVIEW_URL].map((url) =>
      queryClient.invalidateQueries({ queryKey: keyOfUrl(url) }),
    ),
    queryClient.invalidateQueries({ queryKey: ["workspace"] }),
  ]);
}

export function AgencyPage() {
  const { t } = useTranslation();
  const [tab, setTab] = useState<"clients" | "plans" | "accounts">("clients");
  const me = useGet<Me>(ME_URL);
  const agencies = useGet<Agency[]>(AGENCIES_URL);
  const workspaces = useGet<Workspace[]>(WORKSPACES_URL);
  const plans = useGet<Plan[]>(PLANS_URL);
  const plugins = useGet<InstalledPlugin[]>(PLUGINS_URL);
  const failure = [me, agencies, workspaces, plans, plugins].find((q) => q.error)?.error;
  const error = failure ? (failure instanceof Error ? failure.message : String(failure)) : null;
  const loaded: Loaded | null =
    me.data && agencies.data && workspaces.data && plans.data && plugins.data
      ? { me: me.data, agencies: agencies.data, workspaces: workspaces.data, plans: plans.data, plugins: plugins.data }
      : null;

  if (error) return <p className="error">{t("common.failed", { message: error })}</p>;
  if (!loaded) return <p className="loading">{t("common.loading")}</p>;
  const admin = loaded.me.user.is_platform_admin;
  return (
    <div className="agency-page">
      <h1>{t("agency.title")}</h1>
      {admin && (
        <Tabs
          aria-label={t("agency.title")}
          activeKey={tab}
          onChange={(key) => setTab(key as typeof tab)}
          items={[
            { key: "clients", label: t("agency.clients") },
            { key: "plans", label: t("agency.plans") },
            { key: "accounts", label: t("agency.accounts.tab") },
          ]}
        />
      )}
      {admin && tab === "plans" ? (
        <PlansAdmin plans={loaded.plans} plugins={loaded.plugins} onChanged={reloadAgency} />
      ) : admin && tab === "accounts" ? (
        <AccountsAdmin meId={loaded.me.user.id} />
      ) : (
        <Clients loaded={loaded} onChanged={reloadAgency} />
      )}
    </div>
  );
}

function Clients({ loaded, onChanged }: { loaded: Loaded; onChanged: () => Promise<void> }) {
  const { t } = useTranslation();
  const { me, agencies, workspaces } = loaded;
  const roleIn = (agency: Agency) =>
    me.user.is_platform_admin
      ? "owner"
      : me.memberships.find((m) => m.scope === "agency" && m.id === agency.id)?.role ?? null;
  // Workspaces the user reaches through a direct membership only (their agency is not theirs) come last.
  const known = new Set(agencies.map((a) => a.id));
  const others = workspaces.filter((w) => !known.has(w.agency_id));
  if (agencies.length === 0 && others.length === 0) return <p className="empty">{t("agency.none")}</p>;
  return (
    <>
      {agencies.map((agency) => {
        const role = roleIn(agency);
        return (
          <section key={agency.id} className="agency" aria-label={agency.name}>
            <h2>
              {agency.name}
              {role && <span className="muted small"> ({t(`agency.role.${role}`, { defaultValue: role })})</span>}
            </h2>
            <WorkspaceTable
              loaded={loaded}
              workspaces={workspaces.filter((w) => w.agency_id === agency.id)}
              onChanged={onChanged}
            />
            {role && ADMIN_ROLES.includes(role) && <NewWorkspace agency={agency} loaded={loaded} onCreated={onChanged} />}
          </section>
        );
      })}
      {others.length > 0 && (
        <section className="agency" aria-label={t("agency.direct")}>
          <h2>{t("agency.direct")}</h2>
          <WorkspaceTable loaded={loaded} workspaces={others} onChanged={onChanged} />
        </section>
      )}
    </>
  );
}

/** Each workspace's enabled plugins, read from the workspace itself (what its plan and its staff allow): the
 * console's read of its access, so opening it next shows at once. */
function useEnabledPlugins(ids: number[]): Record<number, string[] | "error"> {
  const results = useQueries(
    {
      queries: ids.map((id) => ({
        queryKey: [...queryKeys.workspace(id), "access"],
        queryFn: ({ signal }: { signal: AbortSignal }) => api.get<WorkspaceAccess>(`/api/workspaces/${id}`, signal),
      })),
    },
    queryClient,
  );
  const enabled: Record<number, string[] | "error"> = {};
  ids.forEach((id, i) => {
    const r = results[i];
    if (r.error) enabled[id] = "error";
    else if (r.data) enabled[id] = r.data.enabled_plugins;
  });
  return enabled;
}

function WorkspaceTable({
  loaded,
  workspaces,
  onChanged,
}: {
  loaded: Loaded;
  workspaces: Workspace[];
  onChanged: () => Promise<void>;
}) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const enabled = useEnabledPlugins(workspaces.map((w) => w.id));
  const overview = useGet<WorkspaceOverview[]>(OVERVIEW_URL);
  const numbers = useMemo(() => new Map((overview.data ?? []).map((o) => [o.workspace_id, o])), [overview.data]);
  const titles = useMemo(
    () => Object.fromEntries(loaded.plugins.map((p) => [p.name, localized(p.title, lang) || p.name])),
    [loaded.plugins, lang],
  );
  const components = useNamedTable(t("agency.workspaces"));
  if (workspaces.length === 0) return <p className="empty">{t("agency.no_workspaces")}</p>;
  const columns: TableColumnsType<Workspace> = [
    { key: "name", title: t("agency.workspace"), dataIndex: "name", rowScope: "row" },
    {
      key: "plan",
      title: t("agency.plan"),
      render: (_, w) => <PlanCell workspace={w} loaded={loaded} titles={titles} onChanged={onChanged} />,
    },
    {
      key: "friends",
      title: t("agency.friends"),
      align: "right",
      render: (_, w) => <NumberCell value={numbers.get(w.id)?.friends} loading={overview.isLoading} />,
    },
    {
      key: "sent_this_month",
      title: t("agency.messages_this_month"),
      align: "right",
      render: (_, w) => <NumberCell value={numbers.get(w.id)?.messages_this_month} loading={overview.isLoading} />,
    },
    {
      key: "quota",
      title: t("agency.quota"),
      render: (_, w) => <QuotaCell overview={numbers.get(w.id)} loading={overview.isLoading} />,
    },
    {
      key: "plugins",
      title: t("agency.enabled_plugins"),
      render: (_, w) => {
        const plugins = enabled[w.id];
        if (plugins === undefined) return <span className="muted">{t("common.loading")}</span>;
        if (plugins === "error") return <span className="muted">{t("agency.plugins_unavailable")}</span>;
        if (plugins.length === 0) return <span className="muted">{t("agency.no_plugins")}</span>;
        return (
          <ul className="plugin-chips" aria-label={t("agency.enabled_plugins")}>
            {plugins.map((p) => (
              <li key={p}>
                <Tag>{titles[p] ?? p}</Tag>
              </li>
            ))}
          </ul>
        );
      },
    },
    {
      key: "open",
      title: <span className="visually-hidden">{t("agency.open")}</span>,
      // A full load: a workspace made here is not yet in the switcher's list.
      render: (_, w) => <a href={`/w/${w.id}/friends`}>{t("agency.open_workspace", { name: w.name })}</a>,
    },
  ];
  return (
    <Table<Workspace>
      className="agency-workspaces"
      rowKey="id"
      columns={columns}
      dataSource={workspaces}
      pagination={false}
      size="middle"
      components={components}
    />
  );
}

function NumberCell({ value, loading }: { value: number | null | undefined; loading: boolean }) {
  const { t } = useTranslation();
  if (loading) return <span className="muted">{t("common.loading")}</span>;
  if (value === null || value === undefined) return <span className="muted">{t("agency.not_known")}</span>;
  return <>{value.toLocaleString("ja-JP")}</>;
}

/** The month's quota as LINE last said (the broadcasts' cached value): unlimited, a limit, or not known yet. */
function QuotaCell({ overview, loading }: { overview: WorkspaceOverview | undefined; loading: boolean }) {
  const { t } = useTranslation();
  if (loading) return <span className="muted">{t("common.loading")}</span>;
  const held = overview?.held ? <Tag color="red">{t("agency.quota_held")}</Tag> : null;
  if (!overview || overview.quota_type === null)
    return (
      <>
        <span className="muted">{t("agency.not_known")}</span> {held}
      </>
    );
  if (overview.quota_type === "none")
    return (
      <>
        {t("agency.unlimited")} {held}
      </>
    );
  return (
    <>
      {t("agency.quota_of", { limit: (overview.quota_limit ?? 0).toLocaleString("ja-JP") })} {held}
    </>
  );
}

/** The workspace's plan; a platform admin changes it here (what the new plan does not allow is turned off). */
function PlanCell({
  workspace,
  loaded,
  titles,
  onChanged,
}: {
  workspace: Workspace;
  loaded: Loaded;
  titles: Record<string, string>;
  onChanged: () => Promise<void>;
}) {
  const { t, i18n } = useTranslation();
  const [note, setNote] = useState<{ error: boolean; text: string } | null>(null);
  const [saving, setSaving] = useState(false);
  const name = (p: Plan) => (i18n.language === "en" ? p.name_en : p.name_ja);
  const plan = loaded.plans.find((p) => p.id === workspace.plan_id);
  if (!loaded.me.user.is_platform_admin) return <>{plan ? name(plan) : `#${workspace.plan_id}`}</>;
  const change = async (planId: number) => {
    setSaving(true);
    setNote(null);
    try {
      const changed = await api.put<{ disabled_plugins: string[] }>(`/api/workspaces/${workspace.id}/plan`, {
        plan_id: planId,
      });
      const off = changed.disabled_plugins.map((p) => titles[p] ?? p);
      setNote({ error: false, text: off.length ? t("agency.plan_changed_off", { plugins: off.join("、") }) : t("agency.plan_changed") });
      await onChanged();
    } catch (error) {
      setNote({ error: true, text: localized(error instanceof Error ? error.message : String(error), i18n.language) });
    } finally {
      setSaving(false);
    }
  };
  return (
    <>
      <Select
        aria-label={t("agency.plan_of", { name: workspace.name })}
        value={workspace.plan_id}
        disabled={saving}
        loading={saving}
        style={{ minWidth: 160 }}
        onChange={(planId: number) => void change(planId)}
        options={loaded.plans.map((p) => ({ value: p.id, label: name(p) }))}
      />
      {note && (
        <p role={note.error ? "alert" : "status"} className={note.error ? "error small" : "muted small"}>
          {note.text}
        </p>
      )}
    </>
  );
}

const EMPTY_WORKSPACE = { name: "", channel_id: "", channel_secret: "", access_token: "", timezone: "", plan_id: "" };

function NewWorkspace({ agency, loaded, onCreated }: { agency: Agency; loaded: Loaded; onCreated: () => Promise<void> }) {
  const { t, i18n } = useTranslation();
  const [open, setOpen] = useState(false);
  const [form, setForm] = useState(EMPTY_WORKSPACE);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [saving, setSaving] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const admin = loaded.me.user.is_platform_admin;
  const id = (name: string) => `new-ws-${agency.id}-${name}`;
  const set = (name: keyof typeof EMPTY_WORKSPACE) => (e: { target: { value: string } }) =>
    setForm((f) => ({ ...f, [name]: e.target.value }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSaving(true);
    setErrors({});
    setDone(null);
    const body: Record<string, unknown> = {
      name: form.name.trim(),
      channel_id: form.channel_id.trim(),
      channel_secret: form.channel_secret.trim(),
      access_token: form.access_token.trim(),
    };
    if (form.timezone.trim()) body.timezone = form.timezone.trim();
    if (admin && form.plan_id) body.plan_id = Number(form.plan_id);
    try {
      const created = await api.post<{ name: string }>(`/api/agencies/${agency.id}/workspaces`, body);
      setForm(EMPTY_WORKSPACE);
      setOpen(false);
      setDone(created.name);
      await onCreated();
    } catch (error) {
      if (error instanceof ApiError && error.code === "channel_taken") setErrors({ "$.channel_id": [error.message] });
      else if (error instanceof ApiError && error.errors.length) setErrors(fieldErrors(error.errors));
      else setErrors({ $: [error instanceof Error ? error.message : String(error)] });
    } finally {
      setSaving(false);
    }
  };

  if (!open) {
    return (
      <div className="new-workspace">
        {done && (
          <p role="status" className="status-line">
            {t("agency.created", { name: done })}
          </p>
        )}
        <Button onClick={() => setOpen(true)}>{t("agency.add_workspace")}</Button>
      </div>
    );
  }
  return (
    <form className="new-workspace card" onSubmit={submit} aria-label={t("agency.new_workspace", { agency: agency.name })} noValidate>
      <h3>{t("agency.new_workspace", { agency: agency.name })}</h3>
      <Field id={id("name")} label={t("agency.field.name")} errors={errors["$.name"]}>
        <Input id={id("name")} value={form.name} onChange={set("name")} required maxLength={200} />
      </Field>
      <Field id={id("channel_id")} label={t("agency.field.channel_id")} errors={errors["$.channel_id"]} hint={t("agency.hint.channel_id")}>
        <Input id={id("channel_id")} value={form.channel_id} onChange={set("channel_id")} inputMode="numeric" />
      </Field>
      <Field id={id("channel_secret")} label={t("agency.field.channel_secret")} errors={errors["$.channel_secret"]}>
        <Input id={id("channel_secret")} value={form.channel_secret} onChange={set("channel_secret")} autoComplete="off" />
      </Field>
      <Field id={id("access_token")} label={t("agency.field.access_token")} errors={errors["$.access_token"]}>
        <Input id={id("access_token")} value={form.access_token} onChange={set("access_token")} autoComplete="off" />
      </Field>
      <Field id={id("timezone")} label={t("agency.field.timezone")} errors={errors["$.timezone"]} hint={t("agency.hint.timezone")}>
        <TimeZoneSelect
          id={id("timezone")}
          value={form.timezone}
          onChange={(zone) => setForm((f) => ({ ...f, timezone: zone }))}
          placeholder="Asia/Tokyo"
        />
      </Field>
      {admin && (
        <Field id={id("plan")} label={t("agency.plan")} errors={errors["$.plan_id"]}>
          <Select
            id={id("plan")}
            value={form.plan_id}
            onChange={(value: string) => setForm((f) => ({ ...f, plan_id: value }))}
            options={[
              { value: "", label: t("agency.default_plan") },
              ...loaded.plans.map((p) => ({ value: String(p.id), label: i18n.language === "en" ? p.name_en : p.name_ja })),
            ]}
          />
        </Field>
      )}
      {errors.$ && (
        <p role="alert" className="error">
          {errors.$.map((m) => localized(m, i18n.language)).join(" ")}
        </p>
      )}
      <div className="actions">
        <Button type="primary" htmlType="submit" loading={saving}>
          {t("agency.create")}
        </Button>
        <Button onClick={() => (setOpen(false), setErrors({}))}>{t("agency.cancel")}</Button>
      </div>
    </form>
  );
}
