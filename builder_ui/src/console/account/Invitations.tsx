// The workspaces that invite the signed-in person: they become staff only by accepting here.
import { Button } from "antd";
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../../api";
import { FormProblems, useSubmit } from "../settings/ui";
import "./account.css";

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
  // The answer being sent (its button turns).
  const [answering, setAnswering] = useState<string | null>(null);
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
    setAnswering(`${invitation.id}.${verb}`);
    try {
      if (await submit(() => api.post(`/api/auth/invitations/${invitation.id}/${verb}`))) {
        await load();
        onAnswered();
      }
    } finally {
      setAnswering(null);
    }
  };
  return (
    <section className="panel stack invitations" aria-label={t("account.invitations")}>
      <h2>{t("account.invitations")}</h2>
      <ul className="plain">
        {invitations.map((i) => (
          <li key={i.id} data-invitation={i.workspace_name}>
            <span>
              {t("account.invited_to", { workspace: i.workspace_name, role: t(`settings.roles.${i.role}`) })}
              {i.invited_by && <span className="muted"> ({t("account.invited_by", { name: i.invited_by })})</span>}
            </span>
            <Button
              type="primary"
              size="small"
              disabled={busy && answering !== `${i.id}.accept`}
              loading={answering === `${i.id}.accept`}
              onClick={() => void answer(i, "accept")}
            >
              {t("account.accept")}
            </Button>
            <Button
              size="small"
              disabled={busy && answering !== `${i.id}.decline`}
              loading={answering === `${i.id}.decline`}
              onClick={() => void answer(i, "decline")}
            >
              {t("account.decline")}
            </Button>
          </li>
        ))}
      </ul>
      <FormProblems errors={errors} shown={[]} />
    </section>
  );
}
