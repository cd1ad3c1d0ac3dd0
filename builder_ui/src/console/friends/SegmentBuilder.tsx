// The segment builder: which friends, as nested "all / any" groups of conditions, each negatable. The condition
// types come from the workspace's catalog (those usable in segments) and each one's form is generated from its
// JSON Schema with the builder's ConfigForm, so a plugin's new condition works here with no UI code.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Alert, Button, Checkbox, Select } from "antd";
import { useEffect, useId, useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, request, workspaceUrl, type ApiErrorItem } from "../../api";
import { defaultConfig } from "../../editor/defaults";
import { ConfigForm } from "../../forms/LazyConfigForm";
import { LookupContext } from "../../forms/pickers";
import { useWorkspaceCatalog } from "../../platform/catalog";
import type { CatalogLookup } from "../../platform/contract";
import { localized } from "../../i18n";
import { queryClient, queryKeys } from "../../query";
import { useSettled } from "../../useSettled";
import type { Catalog, NodeTypeDef, WorkspaceAccess } from "../../types";
import {
  addItem,
  cleanSegment,
  draftOf,
  isCondition,
  isNot,
  itemsOf,
  modeOf,
  removeAt,
  setConfig,
  setMode,
  toggleNot,
  type Path,
  type Segment,
} from "./segment";

export type { Segment, SegmentCondition, SegmentGroup } from "./segment";

/** Condition types a segment may use: not deprecated, and not kept for scenarios only. */
export function segmentConditionTypes(catalog: Catalog): NodeTypeDef[] {
  return catalog.node_types.filter((t) => t.kind === "condition" && t.usable_in_segments !== false && !t.deprecated);
}

export function useConditionTypes(access: WorkspaceAccess): {
  types: NodeTypeDef[] | null;
  lookups: readonly CatalogLookup[] | undefined;
  failed: boolean;
} {
  const { catalog, failed } = useWorkspaceCatalog(access.workspace.id);
  const types = useMemo(() => (catalog ? segmentConditionTypes(catalog) : null), [catalog]);
  const lookups = catalog?.lookups;
  return { types, lookups, failed };
}

export interface CountState {
  count: number | null;
  loading: boolean;
  /** Problems of the segment, with paths from the segment ("$.all[0].config…"). */
  problems: ApiErrorItem[];
  error: string | null;
}

export interface CountFilters {
  status?: "following" | "blocked" | "all";
  text?: string;
  exclude?: Segment | null;
  /** Counted again when this changes (e.g. after a bulk operation changed the friends). */
  refreshKey?: number;
}

/** Paths the server gives under $.segment, from the segment itself. */
export function segmentProblems(errors: ApiErrorItem[]): ApiErrorItem[] {
  return errors
    .filter((e) => e.path === "$.segment" || e.path?.startsWith("$.segment.") || e.path?.startsWith("$.segment["))
    .map((e) => ({ ...e, path: "$" + (e.path ?? "").slice("$.segment".length) }));
}

/** How many friends a segment finds, asked for again a moment after it stops changing. */
export function useSegmentCount(
  access: WorkspaceAccess,
  segment: Segment | null,
  filters: CountFilters = {},
  delayMs = 400,
): CountState {
  const body = JSON.stringify({
    segment: segment ?? undefined,
    exclude: filters.exclude ?? undefined,
    text: filters.text?.trim() || undefined,
    status: filters.status ?? "following",
  });
  const asked = useSettled(body, delayMs);
  const query = useQuery(
    {
      queryKey: [...queryKeys.segmentCount(access.workspace.id, asked), filters.refreshKey ?? 0],
      queryFn: ({ signal }) =>
        request<{ count: number }>("POST", workspaceUrl(access.workspace.id, "/friends/count"), JSON.parse(asked), undefined, signal),
      // The last count stays on screen while the next is asked for; a count never answers for another segment.
      placeholderData: keepPreviousData,
      staleTime: 0,
    },
    queryClient,
  );
  const error = query.error;
  const loading = asked !== body || query.isFetching;
  if (error) {
    const problems = segmentProblems(error instanceof ApiError ? error.errors : []);
    return { count: null, loading, problems, error: error instanceof Error ? error.message : String(error) };
  }
  return { count: query.data?.count ?? null, loading, problems: [], error: null };
}

/** "123人" with a live region, for next to a segment builder. */
export function SegmentCount({ state }: { state: CountState }) {
  const { t } = useTranslation();
  return (
    <p className="segment-count" role="status" aria-live="polite">
      {state.count !== null
        ? t("friends.segment.count", { count: state.count })
        : state.loading
          ? t("friends.segment.counting")
          : t("friends.segment.count_failed")}
      {state.loading && state.count !== null && <span className="muted small"> {t("friends.segment.counting")}</span>}
    </p>
  );
}

interface BuilderContext {
  draft: Segment;
  apply: (next: Segment) => void;
  types: Map<string, NodeTypeDef>;
  offered: NodeTypeDef[];
  problems: ApiErrorItem[];
  lang: string;
  idBase: string;
}

export function SegmentBuilder(props: {
  access: WorkspaceAccess;
  value: Segment | null;
  onChange: (s: Segment | null) => void;
  /** Problems the server found in the segment, with paths from the segment ("$.all[0].config.tag_ids"). */
  problems?: ApiErrorItem[];
}) {
  const { access, value, onChange, problems = [] } = props;
  const { t, i18n } = useTranslation();
  const { types, lookups, failed } = useConditionTypes(access);
  // Two builders on one page (a broadcast's include and exclude) must not share element ids.
  const idBase = useId().replace(/:/g, "");
  const [draft, setDraft] = useState<Segment>(() => draftOf(value));
  const emitted = useRef<string>(JSON.stringify(value ?? null));

  // A new value from outside (a tab opened, the filter cleared) replaces the draft; our own echo does not.
  useEffect(() => {
    const incoming = JSON.stringify(value ?? null);
    if (incoming !== emitted.current) {
      emitted.current = incoming;
      setDraft(draftOf(value));
    }
  }, [value]);

  const apply = (next: Segment) => {
    setDraft(next);
    const clean = cleanSegment(next);
    const text = JSON.stringify(clean);
    if (text === emitted.current) return;
    emitted.current = text;
    onChange(clean);
  };

  // The lookups of the catalog read here (left out: the workspace's catalog, read by the console).
  const lookupSource = useMemo(() => ({ workspaceId: access.workspace.id, lookups }), [access.workspace.id, lookups]);
  const byKey = useMemo(() => new Map((types ?? []).map((x) => [x.key, x])), [types]);

  if (failed) return <Alert type="error" showIcon message={t("friends.segment.catalog_failed")} />;
  if (!types) return <p className="muted">{t("common.loading")}</p>;

  // Problem paths match the draft only when no empty group was left out of what was sent.
  const aligned = JSON.stringify(cleanSegment(draft) ?? { all: [] }) === JSON.stringify(draft);
  const ctx: BuilderContext = {
    draft,
    apply,
    types: byKey,
    offered: types,
    problems: aligned ? problems : [],
    lang: i18n.language,
    idBase,
  };
  const unplaced = aligned ? [] : problems;
  return (
    <LookupContext.Provider value={lookupSource}>
      <div className="segment-builder">
        {unplaced.length > 0 && <Problems problems={unplaced} />}
        <NodeView ctx={ctx} node={draft} path={[]} jsonPath="$" negatedAt={null} />
      </div>
    </LookupContext.Provider>
  );
}

/** The server's messages about a part of the segment, said as an alert. */
function Problems({ problems }: { problems: ApiErrorItem[] }) {
  return (
    <Alert
      type="error"
      className="segment-problems"
      message={
        <ul className="errors">
          {problems.map((p, i) => (
            <li key={i}>{p.message}</li>
          ))}
        </ul>
      }
    />
  );
}

function pathId(path: Path): string {
  return path.length ? path.join("-") : "root";
}

function NodeView({
  ctx,
  node,
  path,
  jsonPath,
  negatedAt,
}: {
  ctx: BuilderContext;
  node: Segment;
  path: Path;
  jsonPath: string;
  /** The path of the not around this node, when there is one. */
  negatedAt: Path | null;
}) {
  if (isNot(node)) {
    return <NodeView ctx={ctx} node={node.not} path={[...path, "not"]} jsonPath={`${jsonPath}.not`} negatedAt={path} />;
  }
  const outer = negatedAt ?? path;
  const toggle = () => ctx.apply(toggleNot(ctx.draft, negatedAt ?? path));
  if (isCondition(node)) {
    return <ConditionView ctx={ctx} node={node} path={path} outer={outer} jsonPath={jsonPath} negated={!!negatedAt} onToggleNot={toggle} />;
  }
  return <GroupView ctx={ctx} node={node} path={path} outer={outer} jsonPath={jsonPath} negated={!!negatedAt} onToggleNot={toggle} />;
}

function problemsAt(ctx: BuilderContext, jsonPath: string, own: (p: string) => boolean): ApiErrorItem[] {
  return ctx.problems.filter((p) => p.path !== undefined && p.path.startsWith(jsonPath) && own(p.path.slice(jsonPath.length)));
}

function GroupView({
  ctx,
  node,
  path,
  outer,
  jsonPath,
  negated,
  onToggleNot,
}: {
  ctx: BuilderContext;
  node: Segment;
  path: Path;
  outer: Path;
  jsonPath: string;
  negated: boolean;
  onToggleNot: () => void;
}) {
  const { t } = useTranslation();
  const mode = modeOf(node)!;
  const items = itemsOf(node);
  const root = outer.length === 0;
  const id = `seg-${ctx.idBase}-${pathId(path)}`;
  const [adding, setAdding] = useState("");
  const add = () => {
    const type = ctx.types.get(adding);
    if (!type) return;
    ctx.apply(addItem(ctx.draft, path, { type: type.key, config: defaultConfig(type) }));
  };
  // Problems of the group itself (e.g. an "any" list that must not be empty), not of its items.
  const own = problemsAt(ctx, jsonPath, (rest) => rest === "" || rest === `.${mode}`);
  return (
    <fieldset className={`segment-group${negated ? " negated" : ""}`} aria-label={root ? t("friends.segment.title") : t("friends.segment.group")}>
      {/* The outermost group sits under a heading that names it already. */}
      <legend className={root ? "visually-hidden" : undefined}>
        {root ? t("friends.segment.title") : t("friends.segment.group")}
      </legend>
      <div className="segment-row">
        <label htmlFor={`${id}-mode`}>{t("friends.segment.mode")}</label>
        <Select
          id={`${id}-mode`}
          className="segment-mode"
          value={mode}
          onChange={(next: "all" | "any") => ctx.apply(setMode(ctx.draft, path, next))}
          options={[
            { value: "all", label: t("friends.segment.all") },
            { value: "any", label: t("friends.segment.any") },
          ]}
        />
        <Checkbox checked={negated} onChange={onToggleNot}>
          {t("friends.segment.negate_group")}
        </Checkbox>
        {!root && (
          <Button danger size="small" onClick={() => ctx.apply(removeAt(ctx.draft, outer))}>
            {t("friends.segment.remove_group")}
          </Button>
        )}
      </div>
      {own.length > 0 && <Problems problems={own} />}
      {items.length === 0 ? (
        <p className="muted small">{root ? t("friends.segment.everyone") : t("friends.segment.empty_group")}</p>
      ) : (
        <ol className="segment-items">
          {items.map((item, i) => (
            <li key={i}>
              {i > 0 && <span className="segment-joiner">{mode === "all" ? t("friends.segment.and") : t("friends.segment.or")}</span>}
              <NodeView ctx={ctx} node={item} path={[...path, i]} jsonPath={`${jsonPath}.${mode}[${i}]`} negatedAt={null} />
            </li>
          ))}
        </ol>
      )}
      <div className="segment-row segment-add">
        <label htmlFor={`${id}-type`}>{t("friends.segment.condition_type")}</label>
        <Select
          id={`${id}-type`}
          className="segment-type"
          // Every option drawn (not only those scrolled to): the list is short, and each is found by its name.
          virtual={false}
          showSearch
          optionFilterProp="label"
          placeholder={t("friends.segment.choose_condition")}
          value={adding || undefined}
          onChange={(key: string) => setAdding(key)}
          options={ctx.offered.map((type) => ({ value: type.key, label: localized(type.label, ctx.lang) }))}
        />
        <Button onClick={add} disabled={!adding}>
          {t("friends.segment.add_condition")}
        </Button>
        <Button onClick={() => ctx.apply(addItem(ctx.draft, path, { all: [] }))}>{t("friends.segment.add_group")}</Button>
      </div>
    </fieldset>
  );
}

function ConditionView({
  ctx,
  node,
  path,
  outer,
  jsonPath,
  negated,
  onToggleNot,
}: {
  ctx: BuilderContext;
  node: Segment & { type: string; config: Record<string, unknown> };
  path: Path;
  outer: Path;
  jsonPath: string;
  negated: boolean;
  onToggleNot: () => void;
}) {
  const { t } = useTranslation();
  const type = ctx.types.get(node.type);
  const label = type ? localized(type.label, ctx.lang) : node.type;
  const problems = problemsAt(ctx, jsonPath, (rest) => rest === "" || rest.startsWith(".config") || rest === ".type");
  return (
    <section className={`segment-condition${negated ? " negated" : ""}`} aria-label={label}>
      <div className="segment-row">
        <strong>{label}</strong>
        <Checkbox checked={negated} onChange={onToggleNot}>
          {t("friends.segment.negate")}
        </Checkbox>
        <Button
          danger
          size="small"
          aria-label={t("friends.segment.remove_condition_named", { name: label })}
          onClick={() => ctx.apply(removeAt(ctx.draft, outer))}
        >
          {t("friends.segment.remove_condition")}
        </Button>
      </div>
      {type ? (
        <ConfigForm
          nodeType={type}
          config={node.config}
          idPrefix={`seg-${ctx.idBase}-${pathId(path)}`}
          onChange={(config) => {
            if (JSON.stringify(config) !== JSON.stringify(node.config)) ctx.apply(setConfig(ctx.draft, path, config));
          }}
        />
      ) : (
        <Alert type="error" message={t("friends.segment.unavailable")} />
      )}
      {problems.length > 0 && <Problems problems={problems} />}
    </section>
  );
}
