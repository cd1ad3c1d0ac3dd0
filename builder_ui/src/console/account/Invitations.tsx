// The workspaces that invite the signed-in person: they become staff only by accepting here.
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../../api";
import { FormProblems, useSubmit } from "../settings/ui";

export interface MyInvitation {
  id: number;
  workspace_id: number;
  workspace_name: string;
  role: string;
  invited_by: string | null;
  expires_at: string;
}

export function Invitations({ onAnswered }: { onAnswered: () => void }) {
  const { t } = useTranslation();
  const [invitations, setInvitations] = useState<MyInvitation[]>([]);
  const { errors, busy, submit } = useSubmit();
  const load = useCallback(async () => {
    const found = await api.get<MyInvitation[]>("/api/auth/invitations").catch(() => []);
    setInvitations(Array.isArray(found) ? found : []);
  }, []);
  useEffect(() => {
    void load();
  }, [load]);
  if (invitations.length === 0) return null;
  const answer = async (invitation: MyInvitation, verb: "accept" | "decline") => {
    if (await submit(() => api.post(`/api/auth/invitations/${invitation.id}/${verb}`))) {
      await load();
      onAnswered();
    }
  };
  return (
    <section className="panel stack" aria-label={t("account.invitations")}>
      <h2>{t("account.invitations")}</h2>
      <ul className="plain">
        {invitations.map((i) => (
          <li key={i.id} data-invitation={i.workspace_name}>
            <span>
              {t("account.invited_to", { workspace: i.workspace_name, role: t(`settings.roles.${i.role}`) })}
              {i.invited_by && <span className="muted"> ({t("account.invited_by", { name: i.invited_by })})</span>}
            </span>{" "}
            <button type="button" className="primary small" disabled={busy} onClick={() => void answer(i, "accept")}>
              {t("account.accept")}
            </button>{" "}
            <button type="button" className="small" disabled={busy} onClick={() => void answer(i, "decline")}>
              {t("account.decline")}
            </button>
          </li>
        ))}
      </ul>
      <FormProblems errors={errors} shown={[]} />
    </section>
  );
}
