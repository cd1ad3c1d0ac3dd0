// Staff of the workspace and their roles; and what each role may do (the permission matrix).
import { Button, Checkbox, Input, Select, Table, type TableColumnsType } from "antd";
import { useCallback, useEffect, useState, type HTMLAttributes } from "react";
import { useTranslation } from "react-i18next";
import { api, workspaceUrl } from "../../api";
import { localized } from "../../i18n";
import type { WorkspaceAccess } from "../../types";
import { useNamedTable } from "../../components/tables";
import { formatTime } from "../friends/types";
import { errorsWithin, type FormErrors } from "./errors";
import { Field, FormProblems, useSubmit } from "./ui";

export const ROLES = ["owner", "admin", "operator", "viewer"] as const;
const RANK: Record<string, number> = { viewer: 0, operator: 1, admin: 2, owner: 3 };

interface Staff {
  id: number;
  user_id: number;
  email: string;
  display_name: string;
  role: string;
  last_login_at?: string | null;
}

/** An invitation not yet answered: the person becomes staff only by accepting it after signing in. */
interface Invitation {
  id: number;
  email: string;
  role: string;
  status: string;
  expires_at: string;
}

interface Permission {
  key: string;
  plugin: string;
  label: { ja: string; en?: string };
  roles: string[];
}

/** Roles one may hand out: up to one's own, and "owner" only as an owner (the server checks the same). */
export function assignableRoles(myRole: string): string[] {
  return ROLES.filter((r) => RANK[r] <= (RANK[myRole] ?? -1) && (r !== "owner" || myRole === "owner"));
}

export function StaffPage({ access }: { access: WorkspaceAccess }) {
  const { t } = useTranslation();
  const base = workspaceUrl(access.workspace.id, "/staff");
  const canManage = access.permissions.includes("core.manage_staff");
  const roles = assignableRoles(access.role);
  const [staff, setStaff] = useState<Staff[] | null>(null);
  const [invitations, setInvitations] = useState<Invitation[]>([]);
  const [invited, setInvited] = useState<string | null>(null);
  const load = useCallback(async () => {
    const [members, pending] = await Promise.all([
      api.get<Staff[]>(base),
      api.get<Invitation[]>(`${base}/invitations`).catch(() => []),
    ]);
    setStaff(members);
    setInvitations(Array.isArray(pending) ? pending.filter((i) => i.status === "pending") : []);
  }, [base]);
  useEffect(() => {
    void load();
  }, [load]);
  const components = useNamedTable(t("settings.staff.title"));
  if (!staff) return <p className="loading">{t("common.loading")}</p>;
  const columns: TableColumnsType<Staff> = [
    { key: "display_name", title: t("settings.staff.display_name"), dataIndex: "display_name", rowScope: "row" },
    { key: "email", title: t("settings.staff.email"), dataIndex: "email" },
    {
      key: "last_login_at",
      title: t("settings.staff.last_login"),
      render: (_, s) => (s.last_login_at ? formatTime(s.last_login_at, access.workspace.timezone) : t("settings.staff.never_logged_in")),
    },
    {
      key: "role",
      title: t("settings.staff.role"),
      render: (_, s) => <RoleChoice member={s} base={base} roles={roles} canManage={canManage} onChanged={load} />,
    },
    {
      key: "actions",
      title: <span className="visually-hidden">{t("settings.actions")}</span>,
      className: "actions",
      render: (_, s) => <RemoveStaff member={s} base={base} roles={roles} canManage={canManage} onChanged={load} />,
    },
  ];
  return (
    <section className="settings-page" aria-labelledby="staff-title">
      <h2 id="staff-title">{t("settings.staff.title")}</h2>
      {canManage && (
        <AddStaff
          base={base}
          roles={roles}
          onAdded={(email) => {
            setInvited(email);
            void load();
          }}
        />
      )}
      {invited && (
        <p role="status" className="notice">
          {t("settings.staff.invited", { email: invited })}
        </p>
      )}
      {invitations.length > 0 && (
        <PendingInvitations base={base} invitations={invitations} roles={roles} canManage={canManage} onChanged={load} />
      )}
      <Table<Staff>
        className="settings-table"
        rowKey="id"
        columns={columns}
        dataSource={staff}
        pagination={false}
        size="small"
        components={components}
        onRow={(s) => ({ "data-staff": s.email }) as HTMLAttributes<HTMLElement>}
      />
    </section>
  );
}

function PendingInvitations({
  base,
  invitations,
  roles,
  canManage,
  onChanged,
}: {
  base: string;
  invitations: Invitation[];
  roles: string[];
  canManage: boolean;
  onChanged: () => void;
}) {
  const { t, i18n } = useTranslation();
  const { errors, busy, submit } = useSubmit();
  const label = t("settings.staff.invitations");
  const components = useNamedTable(label);
  const columns: TableColumnsType<Invitation> = [
    { key: "email", title: t("settings.staff.email"), dataIndex: "email", rowScope: "row" },
    { key: "role", title: t("settings.staff.role"), render: (_, i) => t(`settings.roles.${i.role}`) },
    {
      key: "expires",
      title: t("settings.staff.expires"),
      render: (_, i) => new Date(i.expires_at).toLocaleDateString(i18n.language),
    },
    {
      key: "actions",
      title: <span className="visually-hidden">{t("settings.actions")}</span>,
      className: "actions",
      render: (_, i) => (
        <>
          {canManage && roles.includes(i.role) && (
            <Button
              size="small"
              danger
              loading={busy}
              onClick={async () => {
                if (!window.confirm(t("settings.staff.confirm_revoke", { email: i.email }))) return;
                const done = await submit(() => api.del(`${base}/invitations/${i.id}`).then(() => true));
                if (done === true) onChanged();
              }}
            >
              {t("settings.staff.revoke")}
            </Button>
          )}
          <FormProblems errors={errors} shown={[]} />
        </>
      ),
    },
  ];
  return (
    <section className="invitations" aria-labelledby="invitations-title">
      <h3 id="invitations-title">{label}</h3>
      <Table<Invitation>
        className="settings-table"
        rowKey="id"
        columns={columns}
        dataSource={invitations}
        pagination={false}
        size="small"
        components={components}
        onRow={(i) => ({ "data-invitation": i.email }) as HTMLAttributes<HTMLElement>}
      />
    </section>
  );
}

function AddStaff({ base, roles, onAdded }: { base: string; roles: string[]; onAdded: (email: string) => void }) {
  const { t } = useTranslation();
  const blank = { email: "", role: "operator", display_name: "", password: "" };
  const [form, setForm] = useState(blank);
  const { errors, busy, submit } = useSubmit();
  const set = (key: keyof typeof form, value: string) => setForm({ ...form, [key]: value });
  return (
    <form
      className="panel stack"
      aria-label={t("settings.staff.add")}
      onSubmit={async (e) => {
        e.preventDefault();
        const body = {
          email: form.email,
          role: form.role,
          display_name: form.display_name || null,
          password: form.password || null,
        };
        if (await submit(() => api.post(base, body))) {
          setForm(blank);
          onAdded(form.email);
        }
      }}
    >
      <div className="row">
        <Field label={t("settings.staff.email")} name="email" errors={errors} id="staff-email">
          <Input
            id="staff-email"
            type="email"
            value={form.email}
            status={errorsAt(errors, "email")}
            onChange={(e) => set("email", e.target.value)}
          />
        </Field>
        <Field label={t("settings.staff.role")} name="role" errors={errors} id="staff-role">
          <Select
            id="staff-role"
            value={form.role}
            status={errorsAt(errors, "role")}
            onChange={(value: string) => set("role", value)}
            style={{ minWidth: 140 }}
            options={roles.map((r) => ({ value: r, label: t(`settings.roles.${r}`) }))}
          />
        </Field>
      </div>
      <p className="muted small">{t("settings.staff.new_account_hint")}</p>
      <div className="row">
        <Field label={t("settings.staff.display_name")} name="display_name" errors={errors} id="staff-display-name">
          <Input
            id="staff-display-name"
            value={form.display_name}
            status={errorsAt(errors, "display_name")}
            onChange={(e) => set("display_name", e.target.value)}
          />
        </Field>
        <Field label={t("settings.staff.password")} name="password" errors={errors} id="staff-password">
          <Input
            id="staff-password"
            type="password"
            autoComplete="new-password"
            value={form.password}
            status={errorsAt(errors, "password")}
            onChange={(e) => set("password", e.target.value)}
          />
        </Field>
        <Button type="primary" htmlType="submit" loading={busy}>
          {t("settings.staff.add")}
        </Button>
      </div>
      <FormProblems errors={errors} shown={["email", "role", "display_name", "password"]} />
    </form>
  );
}

/** A member's role, changed at once (to a role up to one's own; someone above it is not one's to change). */
function RoleChoice({ member, base, roles, canManage, onChanged }: MemberProps) {
  const { t } = useTranslation();
  const { errors, busy, submit } = useSubmit();
  const mine = canManage && roles.includes(member.role);
  return (
    <>
      <Select
        aria-label={t("settings.staff.role_of", { name: member.display_name })}
        value={member.role}
        disabled={!mine || busy}
        style={{ minWidth: 140 }}
        onChange={async (role: string) => {
          if (await submit(() => api.patch(`${base}/${member.id}`, { role }))) onChanged();
        }}
        options={(mine ? roles : [member.role]).map((r) => ({ value: r, label: t(`settings.roles.${r}`) }))}
      />
      <FormProblems errors={errors} shown={[]} />
    </>
  );
}

/** A member taken off the staff, after a confirmation naming them. */
function RemoveStaff({ member, base, roles, canManage, onChanged }: MemberProps) {
  const { t } = useTranslation();
  const { errors, busy, submit } = useSubmit();
  const mine = canManage && roles.includes(member.role);
  return (
    <>
      {mine && (
        <Button
          size="small"
          danger
          loading={busy}
          onClick={async () => {
            if (!window.confirm(t("settings.staff.confirm_remove", { name: member.display_name }))) return;
            if ((await submit(() => api.del(`${base}/${member.id}`).then(() => true))) === true) onChanged();
          }}
        >
          {t("settings.staff.remove")}
        </Button>
      )}
      <FormProblems errors={errors} shown={[]} />
    </>
  );
}

interface MemberProps {
  member: Staff;
  base: string;
  roles: string[];
  canManage: boolean;
  onChanged: () => void;
}

/** An antd control's error state when the server named its field. */
function errorsAt(errors: FormErrors, name: string): "error" | undefined {
  return errorsWithin(errors, name).length ? "error" : undefined;
}

export function RolesPage({ access }: { access: WorkspaceAccess }) {
  const { t, i18n } = useTranslation();
  const base = workspaceUrl(access.workspace.id, "/permissions");
  const canManage = access.permissions.includes("core.manage_roles");
  const [perms, setPerms] = useState<Permission[] | null>(null);
  const { errors, busy, submit } = useSubmit();
  const components = useNamedTable(t("settings.roles.title"));
  useEffect(() => {
    void api.get<Permission[]>(base).then(setPerms);
  }, [base]);
  if (!perms) return <p className="loading">{t("common.loading")}</p>;
  const toggle = async (permission: string, role: string, granted: boolean) => {
    const result = await submit(() => api.put<Permission[]>(base, { role, permission, granted }));
    if (result) setPerms(result);
  };
  const columns: TableColumnsType<Permission> = [
    {
      key: "permission",
      title: t("settings.roles.permission"),
      rowScope: "row",
      // What the permission allows, in words; its key is for the API, not for people.
      render: (_, p) => localized(p.label, i18n.language),
    },
    ...ROLES.map((r) => ({
      key: r,
      title: t(`settings.roles.${r}`),
      align: "center" as const,
      render: (_: unknown, p: Permission) => (
        <Checkbox
          aria-label={`${t(`settings.roles.${r}`)}: ${localized(p.label, i18n.language)}`}
          checked={r === "owner" || p.roles.includes(r)}
          // The owner may do everything; the others as granted here.
          disabled={r === "owner" || !canManage || busy}
          onChange={(e) => void toggle(p.key, r, e.target.checked)}
        />
      ),
    })),
  ];
  return (
    <section className="settings-page" aria-labelledby="roles-title">
      <h2 id="roles-title">{t("settings.roles.title")}</h2>
      <p className="muted">{t("settings.roles.intro")}</p>
      <FormProblems errors={errors} shown={[]} />
      <Table<Permission>
        className="settings-table"
        rowKey="key"
        columns={columns}
        dataSource={perms}
        pagination={false}
        size="small"
        components={components}
      />
    </section>
  );
}
