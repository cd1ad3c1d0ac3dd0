// Bulk actions on friends: any action type the workspace can apply in bulk (add/remove tag, set mark, set
// field, assign, start/stop scenario …) with its form from its schema, queued as a background operation whose
// progress bar is polled until it finishes, then its result report.
import { useQuery } from "@tanstack/react-query";
import { Alert, Button, Progress, Select, Tag } from "antd";
import { useEffect, useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, ApiError, workspaceUrl, type ApiErrorItem } from "../../api";
import { defaultConfig } from "../../editor/defaults";
import { ConfigForm } from "../../forms/LazyConfigForm";
import { LookupContext } from "../../forms/pickers";
import { useCatalog } from "../../platform/catalog";
import { localized } from "../../i18n";
import { keyOfUrl, queryClient, useApiGet } from "../../query";
import type { NodeTypeDef, WorkspaceAccess } from "../../types";
import type { Segment } from "./segment";
import { FINISHED, type FollowStatus, type Operation } from "./types";
import { problemText } from "../../problems";
import { FormItem } from "../../components/FormItem";

export type BulkTarget = { friend_ids: number[] } | { segment: Segment; status: FollowStatus };

const POLL_MS = 1000;
const NO_ACTIONS: NodeTypeDef[] = [];

/** The percentage to show: the server's, or 0 while the operation has not counted its friends yet. */
export function progressPercent(op: Operation): number {
  if (op.status === "done") return 100;
  return Math.max(0, Math.min(100, op.progress.percent ?? 0));
}

export function BulkPanel({
  access,
  target,
  size,
  onFinished,
}: {
  access: WorkspaceAccess;
  target: BulkTarget;
  size: number | null;
  onFinished: () => void;
}) {
  const { t, i18n } = useTranslation();
  const ws = access.workspace.id;
  const [actionKey, setActionKey] = useState("");
  const [config, setConfig] = useState<Record<string, unknown>>({});
  const [problems, setProblems] = useState<ApiErrorItem[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [operation, setOperation] = useState<Operation | null>(null);
  const [busy, setBusy] = useState(false);
  const finishedRef = useRef(onFinished);
  finishedRef.current = onFinished;

  const listed = useApiGet<NodeTypeDef[]>(workspaceUrl(ws, "/bulk-operations/actions"));
  const actions = listed.error ? NO_ACTIONS : listed.data;

  // Follow a running operation until it is finished.
  const opId = operation?.id;
  const running = operation !== null && !FINISHED.has(operation.status);
  const opUrl = workspaceUrl(ws, `/bulk-operations/${opId ?? 0}`);
  const polled = useQuery(
    {
      queryKey: keyOfUrl(opUrl),
      queryFn: ({ signal }) => api.get<Operation>(opUrl, signal),
      enabled: opId !== undefined && running,
      refetchInterval: POLL_MS,
      staleTime: 0,
    },
    queryClient,
  );
  useEffect(() => {
    const op = polled.data;
    if (!op || op.id !== opId) return;
    setOperation(op);
    if (FINISHED.has(op.status)) finishedRef.current();
  }, [polled.data, opId]);

  const action = actions?.find((a) => a.key === actionKey) ?? null;
  const catalog = useCatalog();
  const lookupSource = useMemo(() => ({ workspaceId: ws, lookups: catalog?.lookups }), [ws, catalog]);

  const run = () => {
    if (!action) return;
    setBusy(true);
    setError(null);
    setProblems([]);
    api
      .post<Operation>(workspaceUrl(ws, "/bulk-operations"), {
        action: { type: action.key, config },
        target,
      })
      .then((op) => {
        setOperation(op);
        if (FINISHED.has(op.status)) onFinished();
      })
      .catch((e: unknown) => {
        setError(e instanceof Error ? e.message : String(e));
        if (e instanceof ApiError) setProblems(e.errors);
      })
      .finally(() => setBusy(false));
  };
  const cancel = () => {
    if (!operation) return;
    api
      .post<Operation>(workspaceUrl(ws, `/bulk-operations/${operation.id}/cancel`))
      .then(setOperation)
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  };

  return (
    <section className="bulk-panel" aria-label={t("friends.bulk.title")}>
      <h2>{t("friends.bulk.title")}</h2>
      <p className="muted small">
        {"friend_ids" in target
          ? t("friends.bulk.target_selected", { count: target.friend_ids.length })
          : t("friends.bulk.target_all", { count: size ?? 0 })}
      </p>
      <div className="row">
        <FormItem id="bulk-action" label={t("friends.bulk.action")}>
          <Select
            id="bulk-action"
            className="bulk-action"
            // Every option drawn (not only those scrolled to): the list is short, and each is found by its name.
            virtual={false}
            placeholder={t("friends.bulk.choose")}
            value={actionKey || undefined}
            disabled={running}
            onChange={(key: string) => {
              const next = actions?.find((a) => a.key === key);
              setActionKey(key);
              setConfig(next ? defaultConfig(next) : {});
              setProblems([]);
              setError(null);
            }}
            options={(actions ?? []).map((a) => ({ value: a.key, label: localized(a.label, i18n.language) }))}
          />
        </FormItem>
      </div>
      {action && (
        <LookupContext.Provider value={lookupSource}>
          <div className="bulk-form">
            <ConfigForm nodeType={action} config={config} onChange={setConfig} idPrefix="bulk" />
          </div>
        </LookupContext.Provider>
      )}
      {problems.length > 0 && (
        <Alert
          type="error"
          message={
            <ul className="errors">
              {problems.map((p, i) => (
                <li key={i}>{problemText(p)}</li>
              ))}
            </ul>
          }
        />
      )}
      {error && problems.length === 0 && <Alert type="error" message={error} />}
      <div className="row">
        <Button type="primary" onClick={run} loading={busy} disabled={!action || running}>
          {t("friends.bulk.run")}
        </Button>
        {running && (
          <Button onClick={cancel} disabled={operation?.cancel_requested}>
            {t("friends.bulk.cancel")}
          </Button>
        )}
      </div>
      {operation && <OperationProgress operation={operation} />}
    </section>
  );
}

function OperationProgress({ operation: op }: { operation: Operation }) {
  const { t } = useTranslation();
  const percent = progressPercent(op);
  const finished = FINISHED.has(op.status);
  return (
    <div className={`bulk-progress status-${op.status}`}>
      <div className="row">
        {/* antd's bar is the progressbar (role, min, max and value); it also carries the value as an attribute, as
            the native <progress> it replaces did, for whoever reads that. The percentage is written out beside it. */}
        <Progress
          className="bulk-bar"
          percent={percent}
          showInfo={false}
          status={finished ? "normal" : "active"}
          strokeColor="var(--green, #06c755)"
          trailColor="#eef1f4"
          size={["100%", 14]}
          aria-label={t("friends.bulk.progress")}
          aria-valuenow={percent}
          aria-valuetext={`${percent}%`}
          {...{ value: percent }}
        />
        <span className="bulk-percent">{percent}%</span>
        <Tag className="bulk-status">{t(`friends.bulk.status.${op.status}`)}</Tag>
      </div>
      {finished && (
        <dl className="bulk-report" aria-label={t("friends.bulk.report")}>
          <dt>{t("friends.bulk.total")}</dt>
          <dd>{op.progress.total ?? 0}</dd>
          <dt>{t("friends.bulk.done")}</dt>
          <dd>{op.progress.done}</dd>
          <dt>{t("friends.bulk.changed")}</dt>
          <dd>{op.progress.changed}</dd>
          <dt>{t("friends.bulk.failed")}</dt>
          <dd>{op.progress.failed}</dd>
        </dl>
      )}
      {op.error && <Alert type="error" message={op.error} />}
      {op.errors.length > 0 && (
        <ul className="errors">
          {op.errors.map((e, i) => (
            <li key={i}>
              {t("friends.bulk.chunk_failed", { first: e.first_friend_id, last: e.last_friend_id, size: e.friends })}{" "}
              {e.error}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
