// Staff of the workspace and their roles; and what each role may do (the permission matrix).
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, workspaceUrl } from "../../api";
import { localized } from "../../i18n";
import type { WorkspaceAccess } from "../../types";
import { Field, FormProblems, useSubmit } from "./ui";

export const ROLES = ["owner", "admin", "operator", "viewer"] as const;
const RANK: Record<string, number> = { viewer: 0, operator: 1, admin: 2, owner: 3 };

interface Staff {
  id: number;
  user_id: number;
  email: string;
  display_name: string;
  role: string;
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
  if (!staff) return <p className="loading">{t("common.loading")}</p>;
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
      <table className="list" aria-label={t("settings.staff.title")}>
        <thead>
          <tr>
            <th>{t("settings.staff.display_name")}</th>
            <th>{t("settings.staff.email")}</th>
            <th>{t("settings.staff.role")}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {staff.map((s) => (
            <StaffRow key={s.id} member={s} base={base} roles={roles} canManage={canManage} onChanged={load} />
          ))}
        </tbody>
      </table>
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
  return (
    <table className="list" aria-label={t("settings.staff.invitations")}>
      <caption>{t("settings.staff.invitations")}</caption>
      <thead>
        <tr>
          <th>{t("settings.staff.email")}</th>
          <th>{t("settings.staff.role")}</th>
          <th>{t("settings.staff.expires")}</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {invitations.map((i) => (
          <tr key={i.id} data-invitation={i.email}>
            <td>{i.email}</td>
            <td>{t(`settings.roles.${i.role}`)}</td>
            <td>{new Date(i.expires_at).toLocaleDateString(i18n.language)}</td>
            <td className="actions">
              {canManage && roles.includes(i.role) && (
                <button
                  type="button"
                  className="small danger"
                  disabled={busy}
                  onClick={async () => {
                    if (!window.confirm(t("settings.staff.confirm_revoke", { email: i.email }))) return;
                    const done = await submit(() => api.del(`${base}/invitations/${i.id}`).then(() => true));
                    if (done === true) onChanged();
                  }}
                >
                  {t("settings.staff.revoke")}
                </button>
              )}
              <FormProblems errors={errors} shown={[]} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
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
        <Field label={t("settings.staff.email")} name="email" errors={errors}>
          <input type="email" value={form.email} onChange={(e) => set("email", e.target.value)} />
        </Field>
        <Field label={t("settings.staff.role")} name="role" errors={errors}>
          <select value={form.role} onChange={(e) => set("role", e.target.value)}>
            {roles.map((r) => (
              <option key={r} value={r}>
                {t(`settings.roles.${r}`)}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <p className="muted small">{t("settings.staff.new_account_hint")}</p>
      <div className="row">
        <Field label={t("settings.staff.display_name")} name="display_name" errors={errors}>
          <input value={form.display_name} onChange={(e) => set("display_name", e.target.value)} />
        </Field>
        <Field label={t("settings.staff.password")} name="password" errors={errors}>
          <input
            type="password"
            autoComplete="new-password"
            value={form.password}
            onChange={(e) => set("password", e.target.value)}
          />
        </Field>
        <button type="submit" className="primary" disabled={busy}>
          {t("settings.staff.add")}
        </button>
      </div>
      <FormProblems errors={errors} shown={["email", "role", "display_name", "password"]} />
    </form>
  );
}

function StaffRow({
  member,
  base,
  roles,
  canManage,
  onChanged,
}: {
  member: Staff;
  base: string;
  roles: string[];
  canManage: boolean;
  onChanged: () => void;
}) {
  const { t } = useTranslation();
  const { errors, busy, submit } = useSubmit();
  // Someone above one's own role is not one's to change.
  const mine = canManage && roles.includes(member.role);
  return (
    <tr data-staff={member.email}>
      <td>{member.display_name}</td>
      <td>{member.email}</td>
      <td>
        <select
          aria-label={t("settings.staff.role_of", { name: member.display_name })}
          value={member.role}
          disabled={!mine || busy}
          onChange={async (e) => {
            if (await submit(() => api.patch(`${base}/${member.id}`, { role: e.target.value }))) onChanged();
          }}
        >
          {(mine ? roles : [member.role]).map((r) => (
            <option key={r} value={r}>
              {t(`settings.roles.${r}`)}
            </option>
          ))}
        </select>
      </td>
      <td className="actions">
        {mine && (
          <button
            type="button"
            className="small danger"
            disabled={busy}
            onClick={async () => {
              if (!window.confirm(t("settings.staff.confirm_remove", { name: member.display_name }))) return;
              if ((await submit(() => api.del(`${base}/${member.id}`).then(() => true))) === true) onChanged();
            }}
          >
            {t("settings.staff.remove")}
          </button>
        )}
        <FormProblems errors={errors} shown={[]} />
      </td>
    </tr>
  );
}

export function RolesPage({ access }: { access: WorkspaceAccess }) {
  const { t, i18n } = useTranslation();
  const base = workspaceUrl(access.workspace.id, "/permissions");
  const canManage = access.permissions.includes("core.manage_roles");
  const [perms, setPerms] = useState<Permission[] | null>(null);
  const { errors, busy, submit } = useSubmit();
  useEffect(() => {
    void api.get<Permission[]>(base).then(setPerms);
  }, [base]);
  if (!perms) return <p className="loading">{t("common.loading")}</p>;
  const toggle = async (permission: string, role: string, granted: boolean) => {
    const result = await submit(() => api.put<Permission[]>(base, { role, permission, granted }));
    if (result) setPerms(result);
  };
  return (
    <section className="settings-page" aria-labelledby="roles-title">
      <h2 id="roles-title">{t("settings.roles.title")}</h2>
      <p className="muted">{t("settings.roles.intro")}</p>
      <FormProblems errors={errors} shown={[]} />
      <table className="list matrix" aria-label={t("settings.roles.title")}>
        <thead>
          <tr>
            <th>{t("settings.roles.permission")}</th>
            {ROLES.map((r) => (
              <th key={r}>{t(`settings.roles.${r}`)}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {perms.map((p) => (
            <tr key={p.key}>
              <td>
                {localized(p.label, i18n.language)} <span className="muted mono">{p.key}</span>
              </td>
              {ROLES.map((r) => (
                <td key={r}>
                  <input
                    type="checkbox"
                    aria-label={`${t(`settings.roles.${r}`)}: ${localized(p.label, i18n.language)}`}
                    checked={r === "owner" || p.roles.includes(r)}
                    // The owner may do everything; the others as granted here.
                    disabled={r === "owner" || !canManage || busy}
                    onChange={(e) => void toggle(p.key, r, e.target.checked)}
                  />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
