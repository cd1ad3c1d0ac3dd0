// One broadcast: a live progress bar (sent, failed, remaining, estimated finish), pause / resume / cancel, "send
// now" for a scheduled one, the messages as LINE shows them (variables filled in for an example friend: the first
// recipient, or one picked), LINE's quota looked at again on request, and what became of each recipient.
import { keepPreviousData, useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { Button, Progress, Table, Tag, type TableColumnsType } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { api, ApiError, request, workspaceUrl } from "../../api";
import { declaredPreviewPath } from "../../forms/MessagesField";
import { useWorkspaceCatalog } from "../../platform/catalog";
import { localized } from "../../i18n";
import { keyOfUrl, queryClient } from "../../query";
import { useNamedTable } from "../../components/tables";
import type { WorkspaceAccess } from "../../types";
import { sectionUrl } from "../sections";
import type { Broadcast, BroadcastStatus, Estimate, Page, Recipient, TestRecipient } from "./types";
import { ConfirmSend } from "./ConfirmSend";
import { refreshQuota } from "./quota";
import { ExamplePreview } from "./ExamplePreview";
import { RecipientPicker, useTestRecipients } from "./RecipientPicker";
import "./broadcasts.css";

/** How often to look again: quickly while sending, slowly while waiting, never once it is over. */
export function pollDelay(status: BroadcastStatus): number | null {
  if (status === "sending") return 1000;
  if (status === "scheduled" || status === "paused") return 3000;
  return null;
}

const NO_RECIPIENTS: Recipient[] = [];

export type Action = "pause" | "resume" | "cancel" | "send-now";

export function actionsFor(status: BroadcastStatus): Action[] {
  if (status === "sending") return ["pause", "cancel"];
  if (status === "paused") return ["resume", "cancel"];
  if (status === "scheduled") return ["send-now", "cancel"];
  return [];
}

const CONFIRM: Partial<Record<Action, string>> = {
  cancel: "broadcasts.page.confirm_cancel",
};

export function formatTime(iso: string | null, timezone: string, lang: string): string {
  if (!iso) return "—";
  return new Intl.DateTimeFormat(lang === "en" ? "en-US" : "ja-JP", {
    timeZone: timezone,
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  }).format(new Date(iso));
}

/** The status as a tag in the console's text colour, over a light background of its own (broadcasts.css): antd's
 * preset colours put light text on light backgrounds. */
export function StatusBadge({ status }: { status: BroadcastStatus }) {
  const { t } = useTranslation();
  return <Tag className={`broadcast-status status-${status}`}>{t(`broadcasts.status.${status}`)}</Tag>;
}

export function ProgressBar({ broadcast }: { broadcast: Broadcast }) {
  const { t, i18n } = useTranslation();
  const p = broadcast.progress;
  const n = (v: number) => v.toLocaleString(i18n.language);
  const percent = Math.max(0, Math.min(100, p.percent));
  return (
    <section className="broadcast-progress" aria-label={t("broadcasts.page.progress")}>
      {/* antd's bar is the progressbar (role, min and max); its value is the server's to the tenth (antd's would be
          a whole number), and the percentage is written out below it. */}
      <Progress
        className="progress-bar"
        percent={percent}
        showInfo={false}
        status={broadcast.status === "sending" ? "active" : "normal"}
        strokeColor="var(--green, #06c755)"
        trailColor="#eef1f4"
        size={["100%", 18]}
        aria-label={t("broadcasts.page.progress")}
        aria-valuenow={percent}
        aria-valuetext={`${percent}%`}
      />
      <p className="progress-percent">{percent}%</p>
      <dl className="progress-numbers">
        <dt>{t("broadcasts.page.total")}</dt>
        <dd>{p.total === null ? t("broadcasts.page.not_fixed", { n: n(broadcast.estimated_recipients) }) : n(p.total)}</dd>
        <dt>{t("broadcasts.page.sent")}</dt>
        <dd data-testid="sent">{n(p.sent)}</dd>
        <dt>{t("broadcasts.page.failed")}</dt>
        <dd data-testid="failed">{n(p.failed)}</dd>
        <dt>{t("broadcasts.page.remaining")}</dt>
        <dd data-testid="remaining">{n(p.remaining)}</dd>
        {p.cancelled > 0 && (
          <>
            <dt>{t("broadcasts.page.cancelled")}</dt>
            <dd>{n(p.cancelled)}</dd>
          </>
        )}
        {p.estimated_finish_at && broadcast.status === "sending" && (
          <>
            <dt>{t("broadcasts.page.estimated_finish")}</dt>
            <dd>{formatTime(p.estimated_finish_at, broadcast.timezone, i18n.language)}</dd>
          </>
        )}
      </dl>
    </section>
  );
}

export function BroadcastPage({ access, broadcastId }: { access: WorkspaceAccess; broadcastId: number }) {
  const { t, i18n } = useTranslation();
  const ws = access.workspace.id;
  const url = workspaceUrl(ws, `/broadcasts/${broadcastId}`);
  const [actionError, setActionError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [refreshing, setRefreshing] = useState(false);
  const [example, setExample] = useState<TestRecipient | null>(null);
  const [sendingNow, setSendingNow] = useState<{ estimate: Estimate } | null>(null);
  const { catalog } = useWorkspaceCatalog(ws);
  const previewPath = declaredPreviewPath(catalog?.node_types ?? []);
  const key = keyOfUrl(url);
  // Read again while it moves (how often depends on its status), not once it is over.
  const query = useQuery(
    {
      queryKey: key,
      queryFn: ({ signal }) => api.get<Broadcast>(url, signal),
      refetchInterval: (q) => (q.state.data ? (pollDelay(q.state.data.status) ?? false) : false),
      staleTime: 0,
    },
    queryClient,
  );
  const broadcast = query.data ?? null;
  // The preview's example friend: the first recipient once the audience is fixed, else the first friend listed.
  const firstUrl = workspaceUrl(ws, `/broadcasts/${broadcastId}/recipients?limit=1`);
  const first = useQuery(
    { queryKey: [...keyOfUrl(firstUrl), broadcast?.status], queryFn: ({ signal }) => api.get<Page<Recipient>>(firstUrl, signal), staleTime: 60_000 },
    queryClient,
  );
  const listed = useTestRecipients(ws, "");
  const firstRecipient = first.data?.items[0]?.friend_id ?? listed.data?.find((r) => r.friend_id !== null)?.friend_id ?? null;
  const error = query.error ? (query.error instanceof Error ? query.error.message : String(query.error)) : null;

  /** "Send now" asks first, as the composer does: to how many (counted now), with how much quota left, what. */
  const askToSendNow = async () => {
    if (!broadcast) return;
    setActionError(null);
    try {
      const estimate = await request<Estimate>("POST", workspaceUrl(ws, "/broadcasts/estimate"), {
        target: broadcast.target,
        messages: broadcast.messages,
      });
      setSendingNow({ estimate });
    } catch (e) {
      setActionError(e instanceof ApiError ? e.message : String(e));
    }
  };

  const act = async (action: Action) => {
    const question = CONFIRM[action];
    if (question && !window.confirm(t(question))) return;
    setBusy(true);
    setActionError(null);
    // A poll that left before a pause or resume must not put the old state back.
    await queryClient.cancelQueries({ queryKey: key });
    try {
      queryClient.setQueryData(key, await api.post<Broadcast>(`${url}/${action}`));
    } catch (e) {
      setActionError(e instanceof ApiError ? e.message : String(e));
      void queryClient.invalidateQueries({ queryKey: key });
    } finally {
      setBusy(false);
    }
  };

  if (error && !broadcast) return <p className="page error">{t("common.failed", { message: error })}</p>;
  if (!broadcast) return <p className="page muted">{t("common.loading")}</p>;
  const time = (iso: string | null) => formatTime(iso, broadcast.timezone, i18n.language);
  const canControl = access.permissions.includes("core.broadcast");

  return (
    <div className="page broadcast-page">
      <div className="page-head">
        <h1>{broadcast.name}</h1>
        <StatusBadge status={broadcast.status} />
        <span className="spacer" />
        <Link to={sectionUrl(ws, "broadcasts")}>{t("broadcasts.back_to_list")}</Link>
      </div>
      <ProgressBar broadcast={broadcast} />
      {broadcast.held && <p className="error">{t("broadcasts.page.held")}</p>}
      {broadcast.error && <p className="error">{localized(broadcast.error, i18n.language)}</p>}
      {canControl && (broadcast.held || broadcast.status === "scheduled" || broadcast.status === "failed") && (
        <p className="small">
          <Button
            size="small"
            loading={refreshing}
            onClick={() => {
              setRefreshing(true);
              void refreshQuota(ws)
                .then(() => setActionError(null))
                .catch((e: unknown) => setActionError(e instanceof ApiError ? e.message : String(e)))
                .finally(() => setRefreshing(false));
            }}
          >
            {t("broadcasts.compose.refresh_quota")}
          </Button>{" "}
          <span className="muted">{t("broadcasts.page.refresh_note")}</span>
        </p>
      )}
      {canControl && actionsFor(broadcast.status).length > 0 && (
        <div className="row broadcast-actions">
          {actionsFor(broadcast.status).map((a) => (
            <Button key={a} danger={a === "cancel"} disabled={busy} onClick={() => void (a === "send-now" ? askToSendNow() : act(a))}>
              {t(`broadcasts.page.${a}`)}
            </Button>
          ))}
        </div>
      )}
      <ConfirmSend
        open={sendingNow !== null}
        name={broadcast.name}
        estimate={sendingNow?.estimate ?? null}
        scheduledLocal={null}
        timezone={broadcast.timezone}
        allowPartial={broadcast.allow_partial}
        messageCount={broadcast.messages.length}
        sending={busy}
        onConfirm={() => void act("send-now").then(() => setSendingNow(null))}
        onCancel={() => setSendingNow(null)}
      >
        <ExamplePreview
          workspaceId={ws}
          path={previewPath}
          messages={broadcast.messages}
          friendId={example?.friend_id ?? firstRecipient ?? null}
          accountName={access.workspace.name}
        />
      </ConfirmSend>
      {actionError && (
        <p className="error" role="alert">
          {actionError}
        </p>
      )}
      <div className="broadcast-detail">
        <dl className="broadcast-facts">
          {/* The time asked for; the server spreads scheduled sends a little after it (send_at). */}
          <dt>{broadcast.scheduled_at ? t("broadcasts.page.scheduled_at") : t("broadcasts.list.send_at")}</dt>
          <dd>{time(broadcast.scheduled_at ?? broadcast.send_at)}</dd>
          <dt>{t("broadcasts.list.started")}</dt>
          <dd>{time(broadcast.started_at)}</dd>
          <dt>{t("broadcasts.list.finished")}</dt>
          <dd>{time(broadcast.finished_at)}</dd>
          <dt>{t("broadcasts.compose.delivery")}</dt>
          <dd>{t(`broadcasts.delivery.${broadcast.delivery}`)}</dd>
          <dt>{t("broadcasts.compose.audience")}</dt>
          <dd>{describeTarget(broadcast, t)}</dd>
          {broadcast.limited_to !== null && (
            <>
              <dt>{t("broadcasts.page.limited_to")}</dt>
              <dd>{broadcast.limited_to.toLocaleString(i18n.language)}</dd>
            </>
          )}
        </dl>
        <div className="broadcast-preview">
          <div className="field example-friend">
            <label htmlFor="broadcast-page-example">{t("broadcasts.compose.example_friend")}</label>
            <RecipientPicker workspaceId={ws} id="broadcast-page-example" value={example} onChange={setExample} placeholder={t("broadcasts.page.first_recipient")} />
          </div>
          <ExamplePreview
            workspaceId={ws}
            path={previewPath}
            messages={broadcast.messages}
            friendId={example?.friend_id ?? firstRecipient ?? null}
            accountName={access.workspace.name}
          />
        </div>
      </div>
      <p className="small muted">{localized(broadcast.audience_note, i18n.language)}</p>
      <Recipients access={access} broadcast={broadcast} />
    </div>
  );
}

function describeTarget(b: Broadcast, t: (k: string) => string): string {
  const parts = [
    b.target.saved_segment_id ? t("broadcasts.compose.audience_saved") : b.target.segment ? t("broadcasts.compose.audience_segment") : t("broadcasts.compose.audience_all"),
  ];
  if (b.target.exclude) parts.push(t("broadcasts.page.with_exclude"));
  return parts.join(" / ");
}

function Recipients({ access, broadcast }: { access: WorkspaceAccess; broadcast: Broadcast }) {
  const { t, i18n } = useTranslation();
  const ws = access.workspace.id;
  const base = workspaceUrl(ws, `/broadcasts/${broadcast.id}/recipients`);
  // Asked again when the numbers move (a page of recipients, not every poll); the rows stay meanwhile.
  const stamp = `${broadcast.status}:${broadcast.progress.sent}:${broadcast.progress.failed}:${broadcast.progress.cancelled}`;
  const pages = useInfiniteQuery(
    {
      queryKey: [...keyOfUrl(base), stamp],
      queryFn: ({ pageParam, signal }) =>
        api.get<Page<Recipient>>(`${base}?limit=50${pageParam ? `&after=${encodeURIComponent(pageParam)}` : ""}`, signal),
      initialPageParam: null as string | null,
      getNextPageParam: (last: Page<Recipient>) => last.next ?? undefined,
      placeholderData: keepPreviousData,
      staleTime: 0,
    },
    queryClient,
  );
  const rows = pages.isError ? NO_RECIPIENTS : (pages.data?.pages.flatMap((p) => p.items) ?? null);
  const next = pages.hasNextPage;
  const more = () => pages.fetchNextPage();
  const components = useNamedTable(t("broadcasts.page.recipients"));
  const columns: TableColumnsType<Recipient> = [
    {
      key: "friend",
      title: t("broadcasts.page.friend"),
      rowScope: "row",
      render: (_, r) => <Link to={sectionUrl(ws, "friends", r.friend_id)}>{r.display_name || `#${r.friend_id}`}</Link>,
    },
    {
      key: "status",
      title: t("broadcasts.list.status"),
      onCell: (r) => ({ className: `recipient-${r.status}` }),
      render: (_, r) => (
        <>
          {t(`broadcasts.recipient.${r.status}`)}
          {r.error ? <span className="small muted"> {localized(r.error, i18n.language)}</span> : null}
        </>
      ),
    },
    { key: "sent_at", title: t("broadcasts.page.sent_at"), render: (_, r) => formatTime(r.sent_at, broadcast.timezone, i18n.language) },
  ];
  return (
    <section aria-label={t("broadcasts.page.recipients")}>
      <h2>{t("broadcasts.page.recipients")}</h2>
      {rows === null ? (
        <p className="muted">{t("common.loading")}</p>
      ) : rows.length === 0 ? (
        <p className="muted">{t("broadcasts.page.no_recipients")}</p>
      ) : (
        <Table<Recipient>
          className="broadcast-table recipients-table"
          rowKey="position"
          columns={columns}
          dataSource={rows}
          pagination={false}
          size="small"
          components={components}
        />
      )}
      {next && (
        <Button className="more" size="small" onClick={() => void more()}>
          {t("broadcasts.more")}
        </Button>
      )}
    </section>
  );
}
