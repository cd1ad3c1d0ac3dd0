// A friend's member card on the friend's page: member number, points, stamps and rank, or that none was issued.
import { api, ApiError, workspaceUrl, type WorkspaceProps } from "@enishi/plugin-ui";
import { Alert, Descriptions, Typography } from "antd";
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
        <Alert type="error" showIcon={false} message={error} />
      ) : card === undefined ? null : card === null ? (
        <Typography.Text type="secondary">{t("panel.none")}</Typography.Text>
      ) : (
        <Descriptions
          size="small"
          column={1}
          items={[
            { key: "number", label: t("panel.number"), children: <span className="mono">{card.member_number}</span> },
            { key: "points", label: t("panel.points"), children: card.points.toLocaleString() },
            { key: "stamps", label: t("panel.stamps"), children: card.stamps.toLocaleString() },
            { key: "rank", label: t("panel.rank"), children: card.rank ?? t("panel.no_rank") },
          ]}
        />
      )}
    </section>
  );
}
