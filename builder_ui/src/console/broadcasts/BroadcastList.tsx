// Broadcast history, newest first: status, recipients, sent / failed, when it was due, started and finished.
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { api, workspaceUrl } from "../../api";
import type { WorkspaceAccess } from "../../types";
import { sectionUrl } from "../sections";
import { formatTime, StatusBadge } from "./BroadcastPage";
import type { Broadcast, BroadcastStatus, Page } from "./types";
import "./broadcasts.css";

const STATUSES: BroadcastStatus[] = ["scheduled", "sending", "paused", "completed", "cancelled", "failed"];
const LIVE: BroadcastStatus[] = ["scheduled", "sending", "paused"];

export function BroadcastList({ access }: { access: WorkspaceAccess }) {
  const { t, i18n } = useTranslation();
  const ws = access.workspace.id;
  const [status, setStatus] = useState<string>("");
  const [items, setItems] = useState<Broadcast[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const query = (after?: string) =>
    workspaceUrl(ws, `/broadcasts?limit=50${status ? `&status=${status}` : ""}${after ? `&after=${encodeURIComponent(after)}` : ""}`);

  const load = useCallback(async () => {
    try {
      const page = await api.get<Page<Broadcast>>(query());
      setItems(page.items);
      setNext(page.next);
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [ws, status]);

  useEffect(() => {
    setItems(null);
    void load();
  }, [load]);

  // Broadcasts under way move on by themselves: look again while there are any.
  const underway = (items ?? []).some((b) => LIVE.includes(b.status));
  useEffect(() => {
    if (!underway) return;
    const timer = setInterval(() => void load(), 3000);
    return () => clearInterval(timer);
  }, [underway, load]);

  const more = async () => {
    if (!next) return;
    const page = await api.get<Page<Broadcast>>(query(next));
    setItems((current) => [...(current ?? []), ...page.items]);
    setNext(page.next);
  };

  const time = (iso: string | null) => formatTime(iso, access.workspace.timezone, i18n.language);
  const n = (v: number) => v.toLocaleString(i18n.language);

  return (
    <div className="page broadcasts-page">
      <div className="page-head">
        <h1>{t("broadcasts.title")}</h1>
        {access.permissions.includes("core.broadcast") && (
          <Link className="button primary" to={sectionUrl(ws, "broadcasts", "new")}>
            {t("broadcasts.new")}
          </Link>
        )}
        <span className="spacer" />
        <label className="field">
          {t("broadcasts.list.status")}
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">{t("broadcasts.list.any_status")}</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`broadcasts.status.${s}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      {error && <p className="error">{t("common.failed", { message: error })}</p>}
      {items === null ? (
        <p className="muted">{t("common.loading")}</p>
      ) : items.length === 0 ? (
        <p className="empty muted">{t("broadcasts.list.none")}</p>
      ) : (
        <table className="list-table" aria-label={t("broadcasts.list.label")}>
          <thead>
            <tr>
              <th>{t("broadcasts.list.name")}</th>
              <th>{t("broadcasts.list.status")}</th>
              <th>{t("broadcasts.list.recipients")}</th>
              <th>{t("broadcasts.list.results")}</th>
              <th>{t("broadcasts.list.send_at")}</th>
              <th>{t("broadcasts.list.started")}</th>
              <th>{t("broadcasts.list.finished")}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((b) => (
              <tr key={b.id}>
                <td>
                  <Link to={sectionUrl(ws, "broadcasts", b.id)}>
                    {b.name}
                  </Link>
                </td>
                <td>
                  <StatusBadge status={b.status} />
                  {b.status === "sending" && <span className="small"> {b.progress.percent}%</span>}
                </td>
                <td>{n(b.progress.total ?? b.estimated_recipients)}</td>
                <td>{t("broadcasts.list.result", { sent: n(b.progress.sent), failed: n(b.progress.failed) })}</td>
                <td>{time(b.scheduled_at ?? b.send_at)}</td>
                <td>{time(b.started_at)}</td>
                <td>{time(b.finished_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next && (
        <button type="button" onClick={() => void more()}>
          {t("broadcasts.more")}
        </button>
      )}
    </div>
  );
}
