// Drafts, then the broadcast history, newest first: status, recipients, sent / failed, when it was due, started and finished.
import { Button, Select, Table, type TableColumnsType } from "antd";
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { api, workspaceUrl } from "../../api";
import { useNamedTable } from "../../components/tables";
import type { WorkspaceAccess } from "../../types";
import { sectionUrl } from "../sections";
import { formatTime, StatusBadge } from "./BroadcastPage";
import { Drafts } from "./Drafts";
import { LinkButton } from "./LinkButton";
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
  const components = useNamedTable(t("broadcasts.list.label"));
  const columns: TableColumnsType<Broadcast> = [
    {
      key: "name",
      title: t("broadcasts.list.name"),
      rowScope: "row",
      render: (_, b) => <Link to={sectionUrl(ws, "broadcasts", b.id)}>{b.name}</Link>,
    },
    {
      key: "status",
      title: t("broadcasts.list.status"),
      render: (_, b) => (
        <>
          <StatusBadge status={b.status} />
          {b.status === "sending" && <span className="small"> {b.progress.percent}%</span>}
        </>
      ),
    },
    { key: "recipients", title: t("broadcasts.list.recipients"), render: (_, b) => n(b.progress.total ?? b.estimated_recipients) },
    {
      key: "results",
      title: t("broadcasts.list.results"),
      render: (_, b) => t("broadcasts.list.result", { sent: n(b.progress.sent), failed: n(b.progress.failed) }),
    },
    { key: "send_at", title: t("broadcasts.list.send_at"), render: (_, b) => time(b.scheduled_at ?? b.send_at) },
    { key: "started", title: t("broadcasts.list.started"), render: (_, b) => time(b.started_at) },
    { key: "finished", title: t("broadcasts.list.finished"), render: (_, b) => time(b.finished_at) },
  ];

  return (
    <div className="page broadcasts-page">
      <div className="page-head">
        <h1>{t("broadcasts.title")}</h1>
        {access.permissions.includes("core.broadcast") && (
          <LinkButton type="primary" to={sectionUrl(ws, "broadcasts", "new")}>
            {t("broadcasts.new")}
          </LinkButton>
        )}
        <span className="spacer" />
        <div className="field status-filter">
          <label htmlFor="broadcast-status-filter">{t("broadcasts.list.status")}</label>
          <Select
            id="broadcast-status-filter"
            value={status}
            onChange={(value: string) => setStatus(value)}
            style={{ minWidth: 140 }}
            options={[
              { value: "", label: t("broadcasts.list.any_status") },
              ...STATUSES.map((s) => ({ value: s, label: t(`broadcasts.status.${s}`) })),
            ]}
          />
        </div>
      </div>
      <Drafts access={access} />
      {error && <p className="error">{t("common.failed", { message: error })}</p>}
      {items === null ? (
        <p className="muted">{t("common.loading")}</p>
      ) : items.length === 0 ? (
        <p className="empty muted">{t("broadcasts.list.none")}</p>
      ) : (
        <Table<Broadcast>
          className="broadcast-table"
          rowKey="id"
          columns={columns}
          dataSource={items}
          pagination={false}
          size="small"
          components={components}
        />
      )}
      {next && (
        <Button className="more" onClick={() => void more()}>
          {t("broadcasts.more")}
        </Button>
      )}
    </div>
  );
}
