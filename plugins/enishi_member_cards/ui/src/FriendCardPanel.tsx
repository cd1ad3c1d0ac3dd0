// A friend's member card on the friend's page: member number, points, stamps and rank, or that none was issued.
import { api, ApiError, workspaceUrl, type WorkspaceProps } from "@enishi/plugin-ui";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { PLUGIN } from "./names";

interface Card {
  friend_id: number;
  member_number: string;
  points: number;
  stamps: number;
  rank: string | null;
}

export function FriendCardPanel({ workspaceId, friendId }: WorkspaceProps & { friendId: number }) {
  const { t } = useTranslation(PLUGIN);
  // undefined: loading; null: the friend has no card.
  const [card, setCard] = useState<Card | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    api
      .get<Card>(workspaceUrl(workspaceId, `/member_cards/cards/${friendId}`))
      .then((c) => live && setCard(c))
      .catch((e: unknown) => {
        if (!live) return;
        if (e instanceof ApiError && e.status === 404) setCard(null);
        else setError(e instanceof Error ? e.message : String(e));
      });
    return () => {
      live = false;
    };
  }, [workspaceId, friendId]);
  return (
    <section className="friend-block" aria-label={t("panel.title")}>
      <h2>{t("panel.title")}</h2>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : card === undefined ? null : card === null ? (
        <p className="muted">{t("panel.none")}</p>
      ) : (
        <dl className="friend-values">
          <div>
            <dt>{t("panel.number")}</dt>
            <dd className="mono">{card.member_number}</dd>
          </div>
          <div>
            <dt>{t("panel.points")}</dt>
            <dd>{card.points.toLocaleString()}</dd>
          </div>
          <div>
            <dt>{t("panel.stamps")}</dt>
            <dd>{card.stamps.toLocaleString()}</dd>
          </div>
          <div>
            <dt>{t("panel.rank")}</dt>
            <dd>{card.rank ?? t("panel.no_rank")}</dd>
          </div>
        </dl>
      )}
    </section>
  );
}
