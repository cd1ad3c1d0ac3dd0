// The scenarios a friend is in (or was last in): the step, what was sent last, what comes next and when (and
// why it waits, when quiet hours hold it), with stop and restart for those who may change scenarios.
import { Alert, Button, Popconfirm, Tag } from "antd";
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { api, errorText, workspaceUrl } from "../../api";
import { localized } from "../../i18n";
import { formatTime } from "./types";

interface Moment {
  node_id: string;
  title: { ja: string; en: string };
  at: string | null;
  reason: string | null;
}

export interface FriendRun {
  run_id: number;
  scenario_id: number;
  scenario_name: string;
  status: string;
  step: Moment;
  last_sent: Moment | null;
  next: Moment | null;
  started_at: string;
  ended_at: string | null;
}

export function FriendScenarios({
  workspaceId,
  friendId,
  timezone,
  canWrite,
}: {
  workspaceId: number;
  friendId: number;
  timezone: string;
  canWrite: boolean;
}) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const [runs, setRuns] = useState<FriendRun[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<number | null>(null);

  const load = useCallback(async () => {
    try {
      setRuns(await api.get<FriendRun[]>(workspaceUrl(workspaceId, `/scenarios/friends/${friendId}`)));
    } catch (e) {
      setError(errorText(e));
    }
  }, [workspaceId, friendId]);

  useEffect(() => {
    void load();
  }, [load]);

  const act = async (run: FriendRun, what: "stop" | "restart") => {
    setBusy(run.run_id);
    setError(null);
    try {
      await api.post(workspaceUrl(workspaceId, `/scenarios/${run.scenario_id}/runs/${run.run_id}/${what}`));
      await load();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(null);
    }
  };

  const when = (iso: string | null) => (iso ? formatTime(iso, timezone) : "—");
  // The time a held send goes out, as the builder and the dry run say it ("12/2 08:00").
  const sendTime = (iso: string) =>
    new Date(iso).toLocaleString(lang === "en" ? "en-GB" : "ja-JP", {
      timeZone: timezone,
      month: "numeric",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
    });
  const live = (r: FriendRun) => r.ended_at === null;

  return (
    <section className="friend-block friend-scenarios" aria-label={t("friend_scenarios.title")}>
      <h2>{t("friend_scenarios.title")}</h2>
      {error && <Alert type="error" showIcon message={error} />}
      {runs === null ? (
        <p className="loading">{t("common.loading")}</p>
      ) : runs.length === 0 ? (
        <p className="muted">{t("friend_scenarios.none")}</p>
      ) : (
        <ul className="friend-scenario-list">
          {runs.map((r) => (
            <li key={r.run_id} aria-label={r.scenario_name}>
              <div className="row">
                <Link to={`/w/${workspaceId}/scenarios/${r.scenario_id}`}>{r.scenario_name}</Link>
                <Tag>{t(`subscribers.statuses.${r.next?.reason === "quiet_hours" ? "held" : r.status}`)}</Tag>
                <span className="spacer" />
                {canWrite && live(r) && (
                  <Popconfirm
                    title={t("friend_scenarios.stop_confirm", { name: r.scenario_name })}
                    okText={t("friend_scenarios.stop")}
                    cancelText={t("common.cancel")}
                    onConfirm={() => act(r, "stop")}
                  >
                    <Button size="small" danger loading={busy === r.run_id}>
                      {t("friend_scenarios.stop")}
                    </Button>
                  </Popconfirm>
                )}
                {canWrite && r.status === "stopped" && (
                  <Button size="small" loading={busy === r.run_id} onClick={() => void act(r, "restart")}>
                    {t("friend_scenarios.restart")}
                  </Button>
                )}
              </div>
              <dl className="friend-values">
                <div>
                  <dt>{t("friend_scenarios.step")}</dt>
                  <dd>{localized(r.step.title, lang)}</dd>
                </div>
                <div>
                  <dt>{t("friend_scenarios.last_sent")}</dt>
                  <dd>
                    {r.last_sent ? `${localized(r.last_sent.title, lang)}（${when(r.last_sent.at)}）` : t("friend_scenarios.nothing_sent")}
                  </dd>
                </div>
                {r.next && (
                  <div>
                    <dt>{t("friend_scenarios.next")}</dt>
                    <dd>
                      {localized(r.next.title, lang)}（{when(r.next.at)}）
                      {r.next.reason === "quiet_hours" && r.next.at && (
                        <div className="held-note" role="note">
                          {t("held.note", { at: sendTime(r.next.at), reason: t("held.reasons.quiet_hours") })}
                        </div>
                      )}
                    </dd>
                  </div>
                )}
              </dl>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
