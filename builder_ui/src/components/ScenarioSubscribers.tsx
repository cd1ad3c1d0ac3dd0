// A scenario's subscribers (購読者一覧): who is at which step since when and in what state, filtered by step,
// state and name, a page at a time; the chosen ones can be stopped or moved on to another step.
import { Alert, Button, Input, Modal, Select, Table, Tag, type TableColumnsType } from "antd";
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { api, errorText, workspaceUrl } from "../api";
import type { FlowNode } from "../graph/document";
import { localized } from "../i18n";
import type { NodeTypeDef } from "../types";

export interface Subscriber {
  run_id: number;
  friend_id: number;
  friend_name: string;
  status: string;
  node_id: string;
  node_title: { ja: string; en: string };
  since: string;
  resume_at: string | null;
  held: boolean;
  version: number;
  started_at: string;
  ended_at: string | null;
}

interface Page {
  items: Subscriber[];
  next: string | null;
}

const STATUSES = ["live", "held", "active", "waiting", "paused", "completed", "exited", "stopped", "failed"];
const PAGE_SIZE = 50;

export function ScenarioSubscribers({
  workspaceId,
  scenarioId,
  nodes,
  types,
  timezone,
  canWrite,
}: {
  workspaceId: number;
  scenarioId: number;
  nodes: FlowNode[];
  types: Map<string, NodeTypeDef>;
  timezone: string;
  canWrite: boolean;
}) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const [nodeId, setNodeId] = useState<string | undefined>();
  const [status, setStatus] = useState<string>("live");
  const [text, setText] = useState("");
  const [query, setQuery] = useState("");
  // The cursors of the pages seen so far: page n starts after cursors[n].
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [pageIndex, setPageIndex] = useState(0);
  const [page, setPage] = useState<Page | null>(null);
  const [selected, setSelected] = useState<number[]>([]);
  const [target, setTarget] = useState<string | undefined>();
  const [message, setMessage] = useState<{ kind: "success" | "error"; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [reload, setReload] = useState(0);
  // Confirmations drawn inside the console (its theme and language), not beside it.
  const [modal, modalHolder] = Modal.useModal();

  const title = (id: string) => {
    const node = nodes.find((n) => n.id === id);
    if (!node) return undefined;
    return node.data.label || localized(types.get(node.data.typeKey)?.label, lang) || node.data.typeKey;
  };
  const when = (iso: string) =>
    new Date(iso).toLocaleString(lang === "en" ? "en-GB" : "ja-JP", {
      timeZone: timezone,
      month: "numeric",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
    });

  const after = cursors[pageIndex];
  const load = useCallback(async () => {
    const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (nodeId) params.set("node_id", nodeId);
    if (status) params.set("status", status);
    if (query) params.set("q", query);
    if (after) params.set("after", after);
    try {
      setPage(await api.get<Page>(workspaceUrl(workspaceId, `/scenarios/${scenarioId}/subscribers?${params}`)));
    } catch (e) {
      setMessage({ kind: "error", text: errorText(e) });
    }
  }, [workspaceId, scenarioId, nodeId, status, query, after]);

  useEffect(() => {
    void load();
  }, [load, reload]);

  // A new filter starts again from the first page, with nothing chosen.
  const refilter = (apply: () => void) => {
    apply();
    setCursors([null]);
    setPageIndex(0);
    setSelected([]);
  };

  const act = async (path: string, body: Record<string, unknown>, done: (count: number) => string) => {
    setBusy(true);
    setMessage(null);
    try {
      const r = await api.post<{ count: number }>(workspaceUrl(workspaceId, `/scenarios/${scenarioId}/subscribers/${path}`), body);
      setMessage({ kind: "success", text: done(r.count) });
      setSelected([]);
      setCursors([null]);
      setPageIndex(0);
      setReload((v) => v + 1);
    } catch (e) {
      setMessage({ kind: "error", text: errorText(e) });
    } finally {
      setBusy(false);
    }
  };

  const stop = () =>
    modal.confirm({
      title: t("subscribers.stop_confirm", { count: selected.length }),
      content: t("subscribers.stop_explain"),
      okText: t("subscribers.stop"),
      okButtonProps: { danger: true },
      cancelText: t("common.cancel"),
      onOk: () => act("stop", { run_ids: selected }, (count) => t("subscribers.stopped", { count })),
    });

  const move = () => {
    if (!target) return;
    const name = title(target) ?? "";
    modal.confirm({
      title: t("subscribers.move_confirm", { count: selected.length, step: name }),
      content: t("subscribers.move_explain"),
      okText: t("subscribers.move"),
      cancelText: t("common.cancel"),
      onOk: () => act("move", { run_ids: selected, node_id: target }, (count) => t("subscribers.moved", { count, step: name })),
    });
  };

  const columns: TableColumnsType<Subscriber> = [
    {
      key: "friend",
      title: t("subscribers.friend"),
      rowScope: "row",
      render: (_, s) => <Link to={`/w/${workspaceId}/friends/${s.friend_id}`}>{s.friend_name || t("friends.no_name")}</Link>,
    },
    { key: "step", title: t("subscribers.step"), render: (_, s) => title(s.node_id) ?? localized(s.node_title, lang) },
    { key: "since", title: t("subscribers.since"), render: (_, s) => when(s.since) },
    {
      key: "status",
      title: t("subscribers.status"),
      render: (_, s) => (
        <>
          <Tag>{t(`subscribers.statuses.${s.held ? "held" : s.status}`)}</Tag>
          {s.held && s.resume_at && (
            <span className="small">{t("held.note", { at: when(s.resume_at), reason: t("held.reasons.quiet_hours") })}</span>
          )}
          {!s.held && s.resume_at && s.status === "waiting" && (
            <span className="small muted">{t("subscribers.until", { at: when(s.resume_at) })}</span>
          )}
        </>
      ),
    },
  ];

  const stepOptions = nodes.map((n) => ({ value: n.id, label: title(n.id) ?? n.id }));
  return (
    <section className="scenario-subscribers" aria-label={t("subscribers.title")}>
      {modalHolder}
      <div className="row wrap">
        <Select
          aria-label={t("subscribers.filter_step")}
          className="subscribers-filter"
          allowClear
          virtual={false}
          placeholder={t("subscribers.every_step")}
          value={nodeId}
          onChange={(v?: string) => refilter(() => setNodeId(v))}
          options={stepOptions}
        />
        <Select
          aria-label={t("subscribers.filter_status")}
          className="subscribers-filter"
          virtual={false}
          value={status}
          onChange={(v: string) => refilter(() => setStatus(v))}
          options={STATUSES.map((s) => ({ value: s, label: t(`subscribers.statuses.${s}`) }))}
        />
        <Input.Search
          aria-label={t("subscribers.search")}
          placeholder={t("subscribers.search")}
          className="subscribers-search"
          allowClear
          value={text}
          maxLength={200}
          onChange={(e) => setText(e.target.value)}
          onSearch={(v) => refilter(() => setQuery(v.trim()))}
        />
      </div>
      {message && <Alert type={message.kind} showIcon message={message.text} role={message.kind === "error" ? "alert" : "status"} />}
      {canWrite && (
        <div className="row wrap" role="group" aria-label={t("subscribers.actions")}>
          <span>{t("subscribers.chosen", { count: selected.length })}</span>
          <Button danger disabled={!selected.length} loading={busy} onClick={stop}>
            {t("subscribers.stop")}
          </Button>
          <Select
            aria-label={t("subscribers.move_to")}
            className="subscribers-filter"
            virtual={false}
            placeholder={t("subscribers.move_to")}
            value={target}
            onChange={(v: string) => setTarget(v)}
            options={stepOptions}
          />
          <Button disabled={!selected.length || !target} loading={busy} onClick={move}>
            {t("subscribers.move")}
          </Button>
        </div>
      )}
      {page === null ? (
        <p className="loading">{t("common.loading")}</p>
      ) : (
        <Table<Subscriber>
          rowKey="run_id"
          size="small"
          columns={columns}
          dataSource={page.items}
          pagination={false}
          locale={{ emptyText: t("subscribers.none") }}
          rowSelection={
            canWrite
              ? {
                  selectedRowKeys: selected,
                  onChange: (keys) => setSelected(keys.map(Number)),
                  getCheckboxProps: (s) => ({
                    disabled: s.ended_at !== null,
                    "aria-label": t("subscribers.choose", { name: s.friend_name }),
                  }),
                }
              : undefined
          }
        />
      )}
      <div className="row">
        <Button disabled={pageIndex === 0} onClick={() => setPageIndex((i) => i - 1)}>
          {t("subscribers.previous")}
        </Button>
        <Button
          disabled={!page?.next}
          onClick={() => {
            const next = page?.next ?? null;
            setCursors((c) => [...c.slice(0, pageIndex + 1), next]);
            setPageIndex((i) => i + 1);
          }}
        >
          {t("subscribers.next")}
        </Button>
      </div>
    </section>
  );
}
