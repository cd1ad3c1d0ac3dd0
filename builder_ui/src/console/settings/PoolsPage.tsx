// Assignment pools (担当の振り分け): staff who take new friends in turn, each as often as their weight says.
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, workspaceUrl } from "../../api";
import type { WorkspaceAccess } from "../../types";
import { Field, FieldErrors, FormProblems, useSubmit } from "./ui";

interface Member {
  user_id: number;
  display_name: string;
  weight: number;
  is_staff: boolean;
}

interface Pool {
  id: number;
  name: string;
  members: Member[];
  turns: number;
}

interface StaffRef {
  user_id: number;
  display_name: string;
}

export function PoolsPage({ access }: { access: WorkspaceAccess }) {
  const { t } = useTranslation();
  const base = workspaceUrl(access.workspace.id, "/assignment");
  const canManage = access.permissions.includes("assignment.manage_pools");
  const [pools, setPools] = useState<Pool[] | null>(null);
  const [staff, setStaff] = useState<StaffRef[]>([]);
  const [editing, setEditing] = useState<Pool | "new" | null>(null);
  const load = useCallback(async () => setPools(await api.get<Pool[]>(`${base}/pools`)), [base]);
  useEffect(() => {
    void load();
    void api.get<StaffRef[]>(`${base}/staff`).then(setStaff);
  }, [load, base]);
  const { errors, busy, submit } = useSubmit();
  if (!pools) return <p className="loading">{t("common.loading")}</p>;
  return (
    <section className="settings-page" aria-labelledby="pools-title">
      <div className="page-head">
        <h2 id="pools-title">{t("settings.pools.title")}</h2>
        {canManage && editing === null && (
          <button type="button" className="primary" onClick={() => setEditing("new")}>
            {t("settings.pools.add")}
          </button>
        )}
      </div>
      <p className="muted">{t("settings.pools.intro")}</p>
      {editing !== null && (
        <PoolForm
          key={editing === "new" ? "new" : editing.id}
          url={`${base}/pools`}
          pool={editing === "new" ? null : editing}
          staff={staff}
          onDone={(changed) => {
            setEditing(null);
            if (changed) void load();
          }}
        />
      )}
      <FormProblems errors={errors} shown={[]} />
      {pools.length === 0 ? (
        <p className="empty">{t("settings.pools.none")}</p>
      ) : (
        <table className="list" aria-label={t("settings.pools.title")}>
          <thead>
            <tr>
              <th>{t("settings.name")}</th>
              <th>{t("settings.pools.members")}</th>
              <th>{t("settings.pools.turns")}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {pools.map((p) => (
              <tr key={p.id} data-pool={p.name}>
                <td>{p.name}</td>
                <td>
                  {p.members.map((m) => (
                    <span key={m.user_id} className={`badge${m.is_staff ? "" : " status-stopped"}`}>
                      {m.display_name}
                      {m.weight > 1 && ` ×${m.weight}`}
                    </span>
                  ))}
                </td>
                <td>{p.turns}</td>
                <td className="actions">
                  {canManage && (
                    <>
                      <button type="button" className="small" onClick={() => setEditing(p)}>
                        {t("settings.edit")}
                      </button>
                      <button
                        type="button"
                        className="small danger"
                        disabled={busy}
                        onClick={async () => {
                          if (!window.confirm(t("settings.pools.confirm_delete", { name: p.name }))) return;
                          if ((await submit(() => api.del(`${base}/pools/${p.id}`).then(() => true))) === true) void load();
                        }}
                      >
                        {t("settings.delete")}
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function PoolForm({
  url,
  pool,
  staff,
  onDone,
}: {
  url: string;
  pool: Pool | null;
  staff: StaffRef[];
  onDone: (changed: boolean) => void;
}) {
  const { t } = useTranslation();
  const [name, setName] = useState(pool?.name ?? "");
  // In rotation order; staff who left stay listed until taken out.
  const [members, setMembers] = useState<{ user_id: number; weight: number }[]>(
    (pool?.members ?? []).map((m) => ({ user_id: m.user_id, weight: m.weight })),
  );
  const { errors, busy, submit } = useSubmit();
  const people = [
    ...staff,
    ...(pool?.members ?? []).filter((m) => !staff.some((s) => s.user_id === m.user_id)),
  ];
  const weightOf = (id: number) => members.find((m) => m.user_id === id)?.weight;
  return (
    <form
      className="panel stack"
      aria-label={pool ? t("settings.pools.edit_title", { name: pool.name }) : t("settings.pools.add")}
      onSubmit={async (e) => {
        e.preventDefault();
        const body = { name, members };
        if (await submit(() => (pool ? api.patch(`${url}/${pool.id}`, body) : api.post(url, body)))) onDone(true);
      }}
    >
      <Field label={t("settings.pools.name")} name="name" errors={errors}>
        <input value={name} onChange={(e) => setName(e.target.value)} />
      </Field>
      <fieldset className="field" data-field="members">
        <legend className="field-label">{t("settings.pools.members")}</legend>
        {people.map((p) => {
          const n = members.findIndex((m) => m.user_id === p.user_id);
          const weight = weightOf(p.user_id);
          return (
            <div key={p.user_id} className="row">
              <label className="field checkbox">
                <input
                  type="checkbox"
                  checked={weight !== undefined}
                  onChange={(e) =>
                    setMembers(
                      e.target.checked
                        ? [...members, { user_id: p.user_id, weight: 1 }]
                        : members.filter((m) => m.user_id !== p.user_id),
                    )
                  }
                />
                {p.display_name}
              </label>
              {weight !== undefined && (
                <Field label={t("settings.pools.weight_of", { name: p.display_name })} name={`members.${n}.weight`} errors={errors}>
                  <input
                    type="number"
                    min={1}
                    max={10}
                    value={weight}
                    onChange={(e) =>
                      setMembers(members.map((m) => (m.user_id === p.user_id ? { ...m, weight: Number(e.target.value) } : m)))
                    }
                  />
                </Field>
              )}
            </div>
          );
        })}
        <FieldErrors errors={errors} name="members" />
      </fieldset>
      <FormProblems errors={errors} shown={["name", "members"]} />
      <div className="row">
        <button type="submit" className="primary" disabled={busy}>
          {pool ? t("settings.save") : t("settings.pools.create")}
        </button>
        <button type="button" onClick={() => onDone(false)}>
          {t("settings.cancel")}
        </button>
      </div>
    </form>
  );
}
