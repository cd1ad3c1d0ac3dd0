// The friend list: saved segments as tabs, the segment builder, free-text search, columns, sort, keyset pages,
// the live count, CSV export, and bulk actions on a selection or on everyone the filters find. Plugins' UI modules
// add columns of their own (friendColumn) after the chosen ones, drawn from each listed friend.
import { keepPreviousData, useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { api, ApiError, csrfHeaders, request, workspaceUrl } from "../../api";
import { localized } from "../../i18n";
import { useContributions } from "../../platform/modules";
import { queryClient, queryKeys } from "../../query";
import type { WorkspaceAccess } from "../../types";
import { useSettled } from "../../useSettled";
import { sectionUrl } from "../sections";
import { BulkPanel, type BulkTarget } from "./BulkPanel";
import { SegmentBuilder, SegmentCount, useSegmentCount } from "./SegmentBuilder";
import type { Segment } from "./segment";
import {
  cellText,
  filtersBody,
  formatTime,
  tabChanged,
  type ColumnsInfo,
  type Filters,
  type FollowStatus,
  type FriendItem,
  type SearchResult,
  type Tab,
} from "./types";

const PAGE_SIZE = 50;
const SEARCH_DELAY_MS = 300;
const NO_TABS: Tab[] = [];
const PLAIN_COLUMNS: ColumnsInfo = { default: [], available: [], sorts: ["id"] };
const INITIAL: Filters = { segment: null, status: "following", text: "", sort: { by: "id", direction: "desc" }, columns: null };

function filtersOfTab(tab: Tab): Filters {
  const empty = "all" in tab.segment && tab.segment.all.length === 0;
  return {
    segment: empty ? null : tab.segment,
    status: tab.status,
    text: "",
    sort: { by: tab.sort.by ?? "id", direction: tab.sort.direction === "asc" ? "asc" : "desc" },
    columns: tab.columns,
  };
}

export function FriendList({ access }: { access: WorkspaceAccess }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const ws = access.workspace.id;
  const [tabId, setTabId] = useState<number | null>(null);
  const [filters, setFilters] = useState<Filters>(INITIAL);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [allMatching, setAllMatching] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [reloadKey, setReloadKey] = useState(0);
  const [segmentOpen, setSegmentOpen] = useState(false);
  const pluginColumns = useContributions("friendColumn");
  const count = useSegmentCount(access, filters.segment, {
    status: filters.status,
    text: filters.text,
    refreshKey: reloadKey,
  });
  const canExport = access.permissions.includes("core.export_friends");

  const tabsQuery = useQuery(
    { queryKey: queryKeys.friendTabs(ws), queryFn: ({ signal }) => api.get<Tab[]>(workspaceUrl(ws, "/friends/tabs"), signal) },
    queryClient,
  );
  const tabs = tabsQuery.data ?? NO_TABS;
  const tab = tabs.find((x) => x.id === tabId) ?? null;
  const columnsQuery = useQuery(
    {
      queryKey: queryKeys.friendColumns(ws),
      queryFn: ({ signal }) => api.get<ColumnsInfo>(workspaceUrl(ws, "/friends/columns"), signal),
    },
    queryClient,
  );
  const columnsInfo = columnsQuery.isError ? PLAIN_COLUMNS : (columnsQuery.data ?? null);
  const loadTabs = () => queryClient.invalidateQueries({ queryKey: queryKeys.friendTabs(ws) });

  // The first page, again a moment after the filters stop changing; more pages on demand. While the next
  // filters are asked for, the last answer stays on screen; an answer for filters no longer shown never lands.
  const body = JSON.stringify(filtersBody(filters));
  const asked = useSettled(body, SEARCH_DELAY_MS);
  const search = useInfiniteQuery(
    {
      queryKey: [...queryKeys.friendSearch(ws, asked), reloadKey],
      queryFn: ({ pageParam, signal }) =>
        request<SearchResult>(
          "POST",
          workspaceUrl(ws, "/friends/search"),
          { ...JSON.parse(asked), limit: PAGE_SIZE, ...(pageParam ? { after: pageParam } : {}) },
          undefined,
          signal,
        ),
      initialPageParam: null as SearchResult["next"],
      getNextPageParam: (last: SearchResult) => last.next ?? undefined,
      placeholderData: keepPreviousData,
      staleTime: 0,
    },
    queryClient,
  );
  const result = useMemo<SearchResult | null>(() => {
    const pages = search.data?.pages;
    if (!pages?.length) return null;
    const last = pages[pages.length - 1];
    return { ...last, items: pages.flatMap((p) => p.items) };
  }, [search.data]);
  const loadingMore = search.isFetchingNextPage;
  const searchError = search.error ? (search.error instanceof Error ? search.error.message : String(search.error)) : null;

  // A different set of friends clears the selection.
  useEffect(() => {
    setSelected(new Set());
    setAllMatching(false);
  }, [ws, body]);

  const more = () => {
    if (result?.next) void search.fetchNextPage();
  };

  const change = (patch: Partial<Filters>) => setFilters((f) => ({ ...f, ...patch }));
  const openTab = (next: Tab | null) => {
    setTabId(next?.id ?? null);
    const opened = next ? filtersOfTab(next) : INITIAL;
    setFilters(opened);
    setSegmentOpen(opened.segment !== null);
    setNotice(null);
  };

  const columnDefs = columnsInfo?.available ?? [];
  const shownColumns = filters.columns ?? columnsInfo?.default ?? [];
  const sortOptions = useMemo(() => {
    const core = (columnsInfo?.sorts ?? ["id"]).map((s) => ({ value: s, label: t(`friends.sort.${s}`, s) }));
    const fields = columnDefs
      .filter((c) => c.sortable)
      .map((c) => ({ value: `field:${c.id}`, label: localized(c.label, lang) }));
    return [...core, ...fields];
  }, [columnsInfo, columnDefs, lang, t]);

  const items = result?.items ?? [];
  const resultColumns = result?.columns ?? [];
  const pageSelected = items.length > 0 && items.every((f) => selected.has(f.id));
  const togglePage = () => {
    setAllMatching(false);
    setSelected((s) => {
      const next = new Set(s);
      for (const f of items) {
        if (pageSelected) next.delete(f.id);
        else next.add(f.id);
      }
      return next;
    });
  };
  const toggleOne = (f: FriendItem) => {
    setAllMatching(false);
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(f.id)) next.delete(f.id);
      else next.add(f.id);
      return next;
    });
  };
  // Bulk operations take a segment, not the free text: "everyone matching" needs the text search cleared.
  const textActive = filters.text.trim() !== "";
  const target: BulkTarget | null = allMatching
    ? { segment: (filters.segment ?? { all: [] }) as Segment, status: filters.status }
    : selected.size > 0
      ? { friend_ids: [...selected] }
      : null;
  const targetSize = allMatching ? count.count : selected.size;

  const exportCsv = async () => {
    setNotice(null);
    try {
      const response = await fetch(workspaceUrl(ws, "/friends/export.csv"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", ...csrfHeaders() },
        body: JSON.stringify({ ...filtersBody(filters), lang: lang === "en" ? "en" : "ja" }),
      });
      if (!response.ok) {
        const data = (await response.json().catch(() => ({}))) as { message?: string };
        throw new Error(data.message ?? response.statusText);
      }
      const blob = await response.blob();
      const name = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") ?? "")?.[1] ?? "friends.csv";
      const url = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = url;
      a.download = name;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      setNotice(t("friends.export_failed", { message: e instanceof Error ? e.message : String(e) }));
    }
  };

  return (
    <div className="page friends-page">
      <div className="page-head">
        <h1>{t("friends.title")}</h1>
        <SegmentCount state={count} />
        <span className="spacer" />
        {canExport && (
          <button type="button" onClick={() => void exportCsv()}>
            {t("friends.export_csv")}
          </button>
        )}
      </div>

      <TabBar
        access={access}
        tabs={tabs}
        active={tab}
        filters={filters}
        onOpen={openTab}
        onSaved={(saved, message) => {
          void loadTabs().then(() => setTabId(saved?.id ?? null));
          setNotice(message);
        }}
      />
      {tab && tab.problems.length > 0 && (
        <ul className="errors" role="alert">
          {tab.problems.map((p, i) => (
            <li key={i}>{p.message}</li>
          ))}
        </ul>
      )}
      {notice && (
        <p className="status-line info" role="status">
          {notice}
        </p>
      )}

      <div className="friends-filters">
        <details
          className="friends-segment"
          open={segmentOpen}
          onToggle={(e) => setSegmentOpen((e.currentTarget as HTMLDetailsElement).open)}
        >
          <summary>{t("friends.segment.title")}</summary>
          <SegmentBuilder
            access={access}
            value={filters.segment}
            onChange={(segment) => change({ segment })}
            problems={count.problems}
          />
        </details>
        <div className="row friends-controls">
          <label className="field grow">
            {t("friends.search")}
            <input
              type="search"
              value={filters.text}
              placeholder={t("friends.search_placeholder")}
              maxLength={200}
              onChange={(e) => change({ text: e.target.value })}
            />
          </label>
          <label className="field">
            {t("friends.status.label")}
            <select value={filters.status} onChange={(e) => change({ status: e.target.value as FollowStatus })}>
              <option value="following">{t("friends.status.following")}</option>
              <option value="blocked">{t("friends.status.blocked")}</option>
              <option value="all">{t("friends.status.all")}</option>
            </select>
          </label>
          <label className="field">
            {t("friends.sort.label")}
            <select value={filters.sort.by} onChange={(e) => change({ sort: { ...filters.sort, by: e.target.value } })}>
              {sortOptions.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            {t("friends.sort.direction")}
            <select
              value={filters.sort.direction}
              onChange={(e) => change({ sort: { ...filters.sort, direction: e.target.value as "asc" | "desc" } })}
            >
              <option value="desc">{t("friends.sort.desc")}</option>
              <option value="asc">{t("friends.sort.asc")}</option>
            </select>
          </label>
          <details className="friends-columns">
            <summary>{t("friends.columns")}</summary>
            <ul className="checks">
              {columnDefs.map((c) => (
                <li key={c.id}>
                  <label>
                    <input
                      type="checkbox"
                      checked={shownColumns.includes(c.id)}
                      onChange={() =>
                        change({
                          columns: shownColumns.includes(c.id)
                            ? shownColumns.filter((x) => x !== c.id)
                            : [...shownColumns, c.id],
                        })
                      }
                    />
                    {localized(c.label, lang)}
                  </label>
                </li>
              ))}
            </ul>
            {filters.columns && (
              <button type="button" className="link" onClick={() => change({ columns: null })}>
                {t("friends.columns_default")}
              </button>
            )}
          </details>
        </div>
      </div>

      <div className="friends-selection row" aria-live="polite">
        <span>
          {allMatching
            ? t("friends.selected_all", { count: count.count ?? 0 })
            : t("friends.selected", { count: selected.size })}
        </span>
        {!allMatching && (
          <button
            type="button"
            onClick={() => setAllMatching(true)}
            disabled={textActive || count.count === null || count.count === 0}
            title={textActive ? t("friends.select_all_no_text") : undefined}
          >
            {t("friends.select_all_matching", { count: count.count ?? 0 })}
          </button>
        )}
        {(allMatching || selected.size > 0) && (
          <button
            type="button"
            onClick={() => {
              setAllMatching(false);
              setSelected(new Set());
            }}
          >
            {t("friends.clear_selection")}
          </button>
        )}
        {textActive && <span className="muted small">{t("friends.select_all_no_text")}</span>}
      </div>
      {target && (
        <BulkPanel
          access={access}
          target={target}
          size={targetSize}
          onFinished={() => setReloadKey((k) => k + 1)}
        />
      )}

      {searchError && (
        <p className="error" role="alert">
          {searchError}
        </p>
      )}
      <div className="friends-table-wrap">
        <table className="list friends-table">
          <thead>
            <tr>
              <th scope="col" className="check-col">
                <input
                  type="checkbox"
                  aria-label={t("friends.select_page")}
                  checked={pageSelected || allMatching}
                  disabled={allMatching}
                  onChange={togglePage}
                />
              </th>
              <th scope="col">{t("friends.name")}</th>
              <th scope="col">{t("friends.status.label")}</th>
              <th scope="col">{t("friends.followed_at")}</th>
              <th scope="col">{t("friends.last_inbound_at")}</th>
              {resultColumns.map((c) => (
                <th scope="col" key={c.id}>
                  {localized(c.label, lang)}
                </th>
              ))}
              {pluginColumns.map(({ plugin, slot }) => (
                <th scope="col" key={`${plugin}.${slot.key}`} data-plugin={plugin}>
                  {localized(slot.title, lang)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {items.map((f) => (
              <tr key={f.id}>
                <td className="check-col">
                  <input
                    type="checkbox"
                    aria-label={t("friends.select_friend", { name: f.display_name })}
                    checked={allMatching || selected.has(f.id)}
                    disabled={allMatching}
                    onChange={() => toggleOne(f)}
                  />
                </td>
                <td>
                  <Link
                    className="friend-link"
                    to={sectionUrl(ws, "friends", f.id)}
                  >
                    {f.picture_url ? <img className="avatar" src={f.picture_url} alt="" /> : <span className="avatar" />}
                    {f.display_name || t("friends.no_name")}
                  </Link>
                </td>
                <td>{t(`friends.status.${f.status}`, f.status)}</td>
                <td>{formatTime(f.followed_at, access.workspace.timezone)}</td>
                <td>{formatTime(f.last_inbound_at, access.workspace.timezone)}</td>
                {resultColumns.map((c) => (
                  <td key={c.id}>
                    {cellText(f.columns[c.id], c.value_schema, access.workspace.timezone, t("friends.yes"))}
                  </td>
                ))}
                {pluginColumns.map(({ plugin, slot }) => (
                  <td key={`${plugin}.${slot.key}`}>{slot.render(f as unknown as Record<string, unknown>)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
        {result && items.length === 0 && <p className="empty">{t("friends.none")}</p>}
        {!result && !searchError && <p className="loading">{t("common.loading")}</p>}
      </div>
      {result?.next && (
        <button type="button" className="more" onClick={more} disabled={loadingMore}>
          {loadingMore ? t("common.loading") : t("friends.more")}
        </button>
      )}
    </div>
  );
}

function TabBar({
  access,
  tabs,
  active,
  filters,
  onOpen,
  onSaved,
}: {
  access: WorkspaceAccess;
  tabs: Tab[];
  active: Tab | null;
  filters: Filters;
  onOpen: (tab: Tab | null) => void;
  onSaved: (tab: Tab | null, message: string) => void;
}) {
  const { t } = useTranslation();
  const ws = access.workspace.id;
  const [mode, setMode] = useState<"new" | "rename" | null>(null);
  const [name, setName] = useState("");
  const [isPrivate, setPrivate] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const changed = active ? tabChanged(active, filters) : false;

  const fail = (e: unknown) =>
    setError(
      e instanceof ApiError && e.errors.length
        ? e.errors.map((x) => x.message).join(" / ")
        : e instanceof Error
          ? e.message
          : String(e),
    );
  const saved = (tab: Tab | null, message: string) => {
    setMode(null);
    setError(null);
    onSaved(tab, message);
  };
  const tabBody = () => ({
    segment: filters.segment ?? { all: [] },
    status: filters.status,
    sort: filters.sort,
    columns: filters.columns,
  });
  const submit = () => {
    if (mode === "new") {
      api
        .post<Tab>(workspaceUrl(ws, "/friends/tabs"), { name, private: isPrivate, ...tabBody() })
        .then((tab) => saved(tab, t("friends.tabs.created", { name: tab.name })))
        .catch(fail);
    } else if (mode === "rename" && active) {
      api
        .patch<Tab>(workspaceUrl(ws, `/friends/tabs/${active.id}`), { name, private: isPrivate })
        .then((tab) => saved(tab, t("friends.tabs.renamed", { name: tab.name })))
        .catch(fail);
    }
  };
  const update = () => {
    if (!active) return;
    api
      .patch<Tab>(workspaceUrl(ws, `/friends/tabs/${active.id}`), tabBody())
      .then((tab) => saved(tab, t("friends.tabs.updated", { name: tab.name })))
      .catch(fail);
  };
  const remove = () => {
    if (!active || !window.confirm(t("friends.tabs.confirm_delete", { name: active.name }))) return;
    api
      .del(workspaceUrl(ws, `/friends/tabs/${active.id}`))
      .then(() => {
        onOpen(null);
        saved(null, t("friends.tabs.deleted", { name: active.name }));
      })
      .catch(fail);
  };

  return (
    <div className="friends-tabs">
      <div className="tabs" role="tablist" aria-label={t("friends.tabs.label")}>
        <button type="button" role="tab" aria-selected={active === null} onClick={() => onOpen(null)}>
          {t("friends.tabs.everyone")}
        </button>
        {tabs.map((tab) => (
          <button key={tab.id} type="button" role="tab" aria-selected={active?.id === tab.id} onClick={() => onOpen(tab)}>
            {tab.name}
            {tab.private && <span className="muted small"> 🔒</span>}
            {tab.problems.length > 0 && <span className="count">!</span>}
          </button>
        ))}
      </div>
      <div className="row tab-actions">
        {active && changed && (
          <button type="button" className="primary" onClick={update}>
            {t("friends.tabs.save_changes")}
          </button>
        )}
        <button
          type="button"
          onClick={() => {
            setMode("new");
            setName("");
            setPrivate(false);
            setError(null);
          }}
        >
          {t("friends.tabs.save_as")}
        </button>
        {active && (
          <>
            <button
              type="button"
              onClick={() => {
                setMode("rename");
                setName(active.name);
                setPrivate(active.private);
                setError(null);
              }}
            >
              {t("friends.tabs.rename")}
            </button>
            <button type="button" className="danger" onClick={remove}>
              {t("friends.tabs.delete")}
            </button>
          </>
        )}
      </div>
      {mode && (
        <form
          className="row tab-form"
          onSubmit={(e) => {
            e.preventDefault();
            submit();
          }}
        >
          <label className="field">
            {t("friends.tabs.name")}
            <input value={name} required maxLength={100} autoFocus onChange={(e) => setName(e.target.value)} />
          </label>
          <label className="check">
            <input type="checkbox" checked={isPrivate} onChange={(e) => setPrivate(e.target.checked)} />
            {t("friends.tabs.private")}
          </label>
          <button type="submit" className="primary" disabled={!name.trim()}>
            {mode === "new" ? t("friends.tabs.create") : t("friends.tabs.rename_submit")}
          </button>
          <button type="button" onClick={() => setMode(null)}>
            {t("friends.cancel")}
          </button>
        </form>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
