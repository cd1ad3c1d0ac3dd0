// The friend list: saved segments as tabs, the segment builder, free-text search, columns, sort, keyset pages,
// the live count, CSV export, and bulk actions on a selection or on everyone the filters find. Plugins' UI modules
// add columns of their own (friendColumn) after the chosen ones, drawn from each listed friend.
import { keepPreviousData, useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { Alert, Button, Checkbox, Empty, Input, Popover, Select, Table, Tabs, type TableColumnsType } from "antd";
import type { TableRowSelection } from "antd/es/table/interface";
import { useEffect, useMemo, useRef, useState, type HTMLAttributes } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { api, ApiError, csrfHeaders, request, workspaceUrl } from "../../api";
import { localized } from "../../i18n";
import { useNamedTable } from "../../components/tables";
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
  shownName,
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

/** antd's <table> named through useNamedTable, and itself of the class "friends-table" (antd gives a className to
 * its wrapper): the friend table's rows are found as `table.friends-table tbody tr`. */
function useFriendsTable(label: string) {
  const named = useNamedTable(label);
  return useMemo(() => {
    const Named = named.table;
    return { table: (props: { className?: string }) => <Named {...props} {...{ className: `${props.className ?? ""} friends-table` }} /> };
  }, [named]);
}

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

  const components = useFriendsTable(t("friends.title"));
  const tz = access.workspace.timezone;
  const columns: TableColumnsType<FriendItem> = [
    {
      key: "name",
      title: t("friends.name"),
      rowScope: "row",
      render: (_, f) => (
        <>
          <Link className="friend-link" to={sectionUrl(ws, "friends", f.id)}>
            {f.picture_url ? <img className="avatar" src={f.picture_url} alt="" /> : <span className="avatar" />}
            {shownName(f) || t("friends.no_name")}
          </Link>
          {f.name_override && (
            <span className="muted small friend-line-name">{t("friends.line_name", { name: f.display_name || t("friends.no_name") })}</span>
          )}
        </>
      ),
    },
    { key: "status", title: t("friends.status.label"), render: (_, f) => t(`friends.status.${f.status}`, f.status) },
    { key: "followed_at", title: t("friends.followed_at"), render: (_, f) => formatTime(f.followed_at, tz) },
    { key: "last_inbound_at", title: t("friends.last_inbound_at"), render: (_, f) => formatTime(f.last_inbound_at, tz) },
    ...resultColumns.map((c) => ({
      key: `column:${c.id}`,
      title: localized(c.label, lang),
      render: (_: unknown, f: FriendItem) => cellText(f.columns[c.id], c.value_schema, tz, t("friends.yes")),
    })),
    ...pluginColumns.map(({ plugin, slot }) => ({
      key: `plugin:${plugin}.${slot.key}`,
      title: localized(slot.title, lang),
      onHeaderCell: () => ({ "data-plugin": plugin }) as HTMLAttributes<HTMLElement>,
      render: (_: unknown, f: FriendItem) => slot.render(f as unknown as Record<string, unknown>),
    })),
  ];
  // antd's selection column: everyone matching checks (and locks) every listed row; the boxes keep their names.
  const rowSelection: TableRowSelection<FriendItem> = {
    columnWidth: 40,
    selectedRowKeys: allMatching ? items.map((f) => f.id) : [...selected],
    onChange: (keys) => {
      setAllMatching(false);
      setSelected(new Set(keys as number[]));
    },
    getTitleCheckboxProps: () => ({ "aria-label": t("friends.select_page"), disabled: allMatching || items.length === 0 }),
    getCheckboxProps: (f) => ({ "aria-label": t("friends.select_friend", { name: shownName(f) }), disabled: allMatching }),
  };
  const columnChoices = (
    <div className="friends-column-choices">
      <ul className="checks">
        {columnDefs.map((c) => (
          <li key={c.id}>
            <Checkbox
              checked={shownColumns.includes(c.id)}
              onChange={() =>
                change({
                  columns: shownColumns.includes(c.id) ? shownColumns.filter((x) => x !== c.id) : [...shownColumns, c.id],
                })
              }
            >
              {localized(c.label, lang)}
            </Checkbox>
          </li>
        ))}
      </ul>
      {filters.columns && (
        <Button type="link" size="small" onClick={() => change({ columns: null })}>
          {t("friends.columns_default")}
        </Button>
      )}
    </div>
  );

  return (
    <div className="page friends-page">
      <div className="page-head">
        <h1>{t("friends.title")}</h1>
        <SegmentCount state={count} />
        <span className="spacer" />
        {canExport && <Button onClick={() => void exportCsv()}>{t("friends.export_csv")}</Button>}
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
        <Alert
          type="error"
          message={
            <ul className="errors">
              {tab.problems.map((p, i) => (
                <li key={i}>{p.message}</li>
              ))}
            </ul>
          }
        />
      )}
      {notice && <Alert className="friends-notice" type="info" role="status" message={notice} />}

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
          <div className="field grow">
            <label htmlFor="friends-search">{t("friends.search")}</label>
            <Input
              id="friends-search"
              type="search"
              value={filters.text}
              placeholder={t("friends.search_placeholder")}
              maxLength={200}
              onChange={(e) => change({ text: e.target.value })}
            />
          </div>
          <div className="field">
            <label htmlFor="friends-status">{t("friends.status.label")}</label>
            <Select
              id="friends-status"
              value={filters.status}
              onChange={(status: FollowStatus) => change({ status })}
              popupMatchSelectWidth={false}
              options={(["following", "blocked", "all"] as const).map((s) => ({ value: s, label: t(`friends.status.${s}`) }))}
            />
          </div>
          <div className="field">
            <label htmlFor="friends-sort">{t("friends.sort.label")}</label>
            <Select
              id="friends-sort"
              value={filters.sort.by}
              onChange={(by: string) => change({ sort: { ...filters.sort, by } })}
              popupMatchSelectWidth={false}
              options={sortOptions}
            />
          </div>
          <div className="field">
            <label htmlFor="friends-direction">{t("friends.sort.direction")}</label>
            <Select
              id="friends-direction"
              value={filters.sort.direction}
              onChange={(direction: "asc" | "desc") => change({ sort: { ...filters.sort, direction } })}
              popupMatchSelectWidth={false}
              options={[
                { value: "desc", label: t("friends.sort.desc") },
                { value: "asc", label: t("friends.sort.asc") },
              ]}
            />
          </div>
          <Popover trigger="click" placement="bottomRight" content={columnChoices}>
            <Button className="friends-columns">{t("friends.columns")}</Button>
          </Popover>
        </div>
      </div>

      <div className="friends-selection row" aria-live="polite">
        <span>
          {allMatching
            ? t("friends.selected_all", { count: count.count ?? 0 })
            : t("friends.selected", { count: selected.size })}
        </span>
        {!allMatching && (
          <Button
            onClick={() => setAllMatching(true)}
            disabled={textActive || count.count === null || count.count === 0}
            title={textActive ? t("friends.select_all_no_text") : undefined}
          >
            {t("friends.select_all_matching", { count: count.count ?? 0 })}
          </Button>
        )}
        {(allMatching || selected.size > 0) && (
          <Button
            onClick={() => {
              setAllMatching(false);
              setSelected(new Set());
            }}
          >
            {t("friends.clear_selection")}
          </Button>
        )}
        {textActive && <span className="muted small">{t("friends.select_all_no_text")}</span>}
      </div>
      {target && (
        <BulkPanel access={access} target={target} size={targetSize} onFinished={() => setReloadKey((k) => k + 1)} />
      )}

      {searchError && <Alert type="error" message={searchError} />}
      <Table<FriendItem>
        className="friends-table-wrap"
        rowKey="id"
        columns={columns}
        dataSource={items}
        rowSelection={rowSelection}
        pagination={false}
        size="small"
        components={components}
        locale={{
          emptyText: result ? (
            <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("friends.none")} />
          ) : searchError ? (
            " "
          ) : (
            <p className="loading">{t("common.loading")}</p>
          ),
        }}
      />
      {result?.next && (
        <Button className="more" onClick={more} loading={loadingMore}>
          {loadingMore ? t("common.loading") : t("friends.more")}
        </Button>
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

  // antd's tab list takes no name of its own: it is given the bar's name once drawn.
  const bar = useRef<HTMLDivElement>(null);
  const label = t("friends.tabs.label");
  useEffect(() => {
    bar.current?.querySelector('[role="tablist"]')?.setAttribute("aria-label", label);
  });
  const EVERYONE = "everyone";
  const tabItems = [
    { key: EVERYONE, label: t("friends.tabs.everyone") },
    ...tabs.map((tab) => ({
      key: String(tab.id),
      label: (
        <>
          {tab.name}
          {tab.private && <span className="muted small"> 🔒</span>}
          {tab.problems.length > 0 && <span className="count">!</span>}
        </>
      ),
    })),
  ];

  return (
    <div className="friends-tabs" ref={bar}>
      <Tabs
        className="friends-tab-list"
        activeKey={active ? String(active.id) : EVERYONE}
        items={tabItems}
        onChange={(key) => onOpen(key === EVERYONE ? null : (tabs.find((x) => String(x.id) === key) ?? null))}
      />
      <div className="row tab-actions">
        {active && changed && (
          <Button type="primary" onClick={update}>
            {t("friends.tabs.save_changes")}
          </Button>
        )}
        <Button
          onClick={() => {
            setMode("new");
            setName("");
            setPrivate(false);
            setError(null);
          }}
        >
          {t("friends.tabs.save_as")}
        </Button>
        {active && (
          <>
            <Button
              onClick={() => {
                setMode("rename");
                setName(active.name);
                setPrivate(active.private);
                setError(null);
              }}
            >
              {t("friends.tabs.rename")}
            </Button>
            <Button danger onClick={remove}>
              {t("friends.tabs.delete")}
            </Button>
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
          <div className="field">
            <label htmlFor="friends-tab-name">{t("friends.tabs.name")}</label>
            <Input
              id="friends-tab-name"
              value={name}
              required
              maxLength={100}
              autoFocus
              onChange={(e) => setName(e.target.value)}
            />
          </div>
          <Checkbox checked={isPrivate} onChange={(e) => setPrivate(e.target.checked)}>
            {t("friends.tabs.private")}
          </Checkbox>
          <Button type="primary" htmlType="submit" disabled={!name.trim()}>
            {mode === "new" ? t("friends.tabs.create") : t("friends.tabs.rename_submit")}
          </Button>
          <Button onClick={() => setMode(null)}>{t("friends.cancel")}</Button>
        </form>
      )}
      {error && <Alert type="error" message={error} />}
    </div>
  );
}
