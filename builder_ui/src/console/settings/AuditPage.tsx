// The audit log (操作履歴): who changed what, when, newest first, a page at a time; filtered by person, action and
// dates (days of the workspace's time zone). Actions and people come with their words from /audit/labels, so no
// raw action key or user id shows.
import { Alert, Button, Input, Select, Table, Tag, type TableColumnsType } from "antd";
import { useCallback, useEffect, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, errorText, workspaceUrl } from "../../api";
import { localized } from "../../i18n";
import type { Localized } from "../../platform/contract";
import type { WorkspaceAccess } from "../../types";
import { useNamedTable } from "../../components/tables";
import { formatTime } from "../friends/types";

export interface AuditEntry {
  id: number;
  at: string;
  user_id: number | null;
  api_token_id: number | null;
  action: string;
  method: string;
  status_code: number;
  details: Record<string, unknown>;
}

interface AuditLabels {
  actions: { action: string; label: Localized }[];
  people: { user_id: number; display_name: string; email: string }[];
}

export interface AuditFilters {
  person: number | null;
  action: string | null;
  from: string; // YYYY-MM-DD, a day of the workspace's time zone ("" for none)
  to: string;
}

const PAGE = 50;
const NO_FILTERS: AuditFilters = { person: null, action: null, from: "", to: "" };

/** The instant a day of `timezone` starts, as ISO (the offset of that zone on that day, read from Intl). */
export function dayStart(day: string, timezone: string): string {
  const [y, m, d] = day.split("-").map(Number);
  const guess = Date.UTC(y, m - 1, d);
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone: timezone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    })
      .formatToParts(new Date(guess))
      .map((p) => [p.type, p.value]),
  );
  const shown = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
  return new Date(guess - (shown - guess)).toISOString();
}

function nextDay(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString().slice(0, 10);
}

/** The query of one page: the filters as the server takes them (dates as the instants their days start). */
export function auditQuery(filters: AuditFilters, timezone: string, after: string | null): string {
  const q = new URLSearchParams({ limit: String(PAGE) });
  if (filters.person !== null) q.set("user_id", String(filters.person));
  if (filters.action) q.set("action", filters.action);
  if (filters.from) q.set("since", dayStart(filters.from, timezone));
  if (filters.to) q.set("until", dayStart(nextDay(filters.to), timezone)); // the whole last day
  if (after) q.set("after", after);
  return q.toString();
}

/** What an entry's details say, in words people wrote (names, texts): no keys, ids or lists of field names. */
export function detailText(details: Record<string, unknown>): string {
  return Object.values(details)
    .filter((v): v is string => typeof v === "string" && v.trim() !== "")
    .join(" / ");
}

export function AuditPage({ access }: { access: WorkspaceAccess }) {
  const { t, i18n } = useTranslation();
  const tz = access.workspace.timezone;
  const base = workspaceUrl(access.workspace.id, "/audit");
  const [labels, setLabels] = useState<AuditLabels | null>(null);
  const [filters, setFilters] = useState<AuditFilters>(NO_FILTERS);
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const datesBackwards = filters.from !== "" && filters.to !== "" && filters.to < filters.from;

  useEffect(() => {
    api.get<AuditLabels>(`${base}/labels`).then(setLabels, (e: unknown) => setError(errorText(e)));
  }, [base]);

  const load = useCallback(
    async (after: string | null) => {
      const page = await api.get<{ items: AuditEntry[]; next: string | null }>(`${base}?${auditQuery(filters, tz, after)}`);
      setEntries((shown) => (after && shown ? [...shown, ...page.items] : page.items));
      setNext(page.next);
      setError(null);
    },
    [base, filters, tz],
  );
  useEffect(() => {
    if (datesBackwards) return; // nothing to ask until the dates make sense
    load(null).catch((e: unknown) => setError(errorText(e)));
  }, [load, datesBackwards]);

  const actionLabel = useMemo(() => new Map((labels?.actions ?? []).map((a) => [a.action, localized(a.label, i18n.language)])), [labels, i18n.language]);
  const personName = useMemo(() => new Map((labels?.people ?? []).map((p) => [p.user_id, p.display_name || p.email])), [labels]);
  const who = (e: AuditEntry) =>
    e.user_id !== null
      ? (personName.get(e.user_id) ?? t("settings.audit.former_staff"))
      : e.api_token_id !== null
        ? t("settings.audit.api_token")
        : t("settings.audit.system");
  const components = useNamedTable(t("settings.audit.title"));
  const columns: TableColumnsType<AuditEntry> = [
    { key: "at", title: t("settings.audit.at"), render: (_, e) => formatTime(e.at, tz) },
    { key: "who", title: t("settings.audit.who"), render: (_, e) => who(e) },
    { key: "action", title: t("settings.audit.action"), render: (_, e) => actionLabel.get(e.action) ?? t("settings.audit.other_action") },
    { key: "details", title: t("settings.audit.details"), render: (_, e) => detailText(e.details) },
    {
      key: "result",
      title: t("settings.audit.result"),
      render: (_, e) =>
        e.status_code < 400 ? <Tag>{t("settings.audit.succeeded")}</Tag> : <Tag color="red">{t("settings.audit.failed")}</Tag>,
    },
  ];
  const set = (change: Partial<AuditFilters>) => setFilters((f) => ({ ...f, ...change }));

  return (
    <section className="settings-page" aria-labelledby="audit-title">
      <h2 id="audit-title">{t("settings.audit.title")}</h2>
      <p className="muted">{t("settings.audit.intro")}</p>
      <div className="row audit-filters">
        <div className="field">
          <label htmlFor="audit-person">{t("settings.audit.who")}</label>
          <Select
            id="audit-person"
            allowClear
            placeholder={t("settings.audit.everyone")}
            value={filters.person ?? undefined}
            onChange={(person?: number) => set({ person: person ?? null })}
            popupMatchSelectWidth={false}
            options={(labels?.people ?? []).map((p) => ({ value: p.user_id, label: p.display_name || p.email }))}
          />
        </div>
        <div className="field">
          <label htmlFor="audit-action">{t("settings.audit.action")}</label>
          <Select
            id="audit-action"
            allowClear
            showSearch
            optionFilterProp="label"
            placeholder={t("settings.audit.every_action")}
            value={filters.action ?? undefined}
            onChange={(action?: string) => set({ action: action ?? null })}
            popupMatchSelectWidth={false}
            options={(labels?.actions ?? []).map((a) => ({ value: a.action, label: localized(a.label, i18n.language) }))}
          />
        </div>
        <div className="field">
          <label htmlFor="audit-from">{t("settings.audit.from")}</label>
          <Input id="audit-from" type="date" value={filters.from} onChange={(e) => set({ from: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="audit-to">{t("settings.audit.to")}</label>
          <Input
            id="audit-to"
            type="date"
            value={filters.to}
            status={datesBackwards ? "error" : undefined}
            aria-describedby={datesBackwards ? "audit-dates-problem" : undefined}
            onChange={(e) => set({ to: e.target.value })}
          />
          {datesBackwards && (
            <p id="audit-dates-problem" className="field-error">
              {t("settings.audit.dates_backwards")}
            </p>
          )}
        </div>
      </div>
      {error && <Alert type="error" message={error} />}
      {entries === null ? (
        <p className="loading">{t("common.loading")}</p>
      ) : (
        <>
          <Table<AuditEntry>
            className="settings-table"
            rowKey="id"
            columns={columns}
            dataSource={entries}
            pagination={false}
            size="small"
            components={components}
            locale={{ emptyText: t("settings.audit.empty") }}
          />
          {next && (
            <Button
              className="more"
              loading={loadingMore}
              onClick={() => {
                setLoadingMore(true);
                load(next)
                  .catch((e: unknown) => setError(errorText(e)))
                  .finally(() => setLoadingMore(false));
              }}
            >
              {t("settings.audit.more")}
            </Button>
          )}
        </>
      )}
    </section>
  );
}
