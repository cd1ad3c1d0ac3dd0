// Pickers for data of the workspace (tags, marks, fields, staff …). The plugins describe each list they offer
// as a lookup in the workspace's catalog: where its rows come from, which fields are value, label, hint and
// colour, the property names that mean it wherever a schema uses them, and the `ui:widget` names that mean it.
// A plugin names a lookup in its uiSchema (`"ui:options": {"lookup": "<plugin>.<list>"}`), or uses one of those
// property or widget names; anything else gets the forms' plain widgets, so a new plugin's node types work with no
// UI code. The console names no plugin here: it only reads the catalog.
import type { RegistryWidgetsType, WidgetProps } from "@rjsf/utils";
import { useQuery } from "@tanstack/react-query";
import { Checkbox, Input, Select, Typography } from "antd";
import { createContext, useContext, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, workspaceUrl } from "../api";
import i18n, { localized } from "../i18n";
import { useCatalog } from "../platform/catalog";
import { queryClient, queryKeys } from "../query";
import type { CatalogLookup } from "../platform/contract";

export interface Option {
  value: string | number;
  label: string;
  hint?: string;
  color?: string;
}

// A row's text: a string, or {ja, en} in the UI's language.
const s = (v: unknown) =>
  v === null || v === undefined ? "" : typeof v === "object" ? localized(v, i18n.language) : String(v);

/** One row of a lookup's answer as an option (hint and colour only where the lookup names their fields). */
export function toOption(lookup: CatalogLookup, row: Record<string, unknown>): Option {
  const option: Option = { value: row[lookup.value_field] as string | number, label: s(row[lookup.label_field]) };
  if (lookup.hint_field) option.hint = s(row[lookup.hint_field]);
  if (lookup.color_field) option.color = s(row[lookup.color_field]);
  return option;
}

/** The lookup for a property, or null for a plain widget. A lookup named by the uiSchema is kept even when the
 * workspace does not offer it (its plugin is off): the widget then lets the value be typed. Otherwise the
 * property's name must be one a lookup claims, with the JSON type it claims it with. */
export function pickerFor(
  name: string,
  prop: Record<string, unknown>,
  named?: string,
  lookups: readonly CatalogLookup[] = [],
): string | null {
  if (named) return named;
  const item = prop.type === "array" ? (prop.items as Record<string, unknown> | undefined) : prop;
  const types = ([] as unknown[]).concat(item?.type ?? []);
  const lookup = lookups.find((l) => l.properties[name] && types.includes(l.properties[name]));
  return lookup ? lookup.name : null;
}

/** The lookup an RJSF `ui:widget` name means, or null. */
export function lookupForWidget(widget: string, lookups: readonly CatalogLookup[]): string | null {
  return lookups.find((l) => l.widgets.includes(widget))?.name ?? null;
}

/** The RJSF widgets of the lookups: "lookup" (named by `ui:options`) and every widget name a lookup claims. */
export function lookupWidgets(lookups: readonly CatalogLookup[]): RegistryWidgetsType {
  const widgets: RegistryWidgetsType = { lookup: LookupWidget };
  for (const l of lookups) for (const w of l.widgets) widgets[w] = LookupWidget;
  return widgets;
}

export interface LookupSource {
  workspaceId: number;
  /** The workspace's lookups; left out, they are read from the workspace's catalog (`useCatalog`). */
  lookups?: readonly CatalogLookup[];
}

export const LookupContext = createContext<LookupSource | null>(null);

/** The lookups the forms below may use: the context's, else the catalog's; null while the catalog loads. */
export function useLookups(): readonly CatalogLookup[] | null {
  const source = useContext(LookupContext);
  const catalog = useCatalog();
  return source?.lookups ?? catalog?.lookups ?? null;
}

export function optionsQuery(source: LookupSource, name: string) {
  const lookup = source.lookups?.find((l) => l.name === name);
  return {
    queryKey: [...queryKeys.lookup(source.workspaceId, name), lookup?.path ?? null],
    queryFn: async ({ signal }: { signal: AbortSignal }): Promise<Option[]> => {
      if (!lookup) return []; // a lookup the workspace does not offer (its plugin is off)
      const data = await api.get<unknown>(workspaceUrl(source.workspaceId, lookup.path), signal);
      const rows = (lookup.paged ? (data as { items: unknown[] }).items : data) as Record<string, unknown>[];
      return rows.map((row) => toOption(lookup, row));
    },
  };
}

/** After a list changed (a tag was added): the pickers on screen read it again, the others when next shown. */
export function forgetLookups(): void {
  void queryClient.invalidateQueries({ predicate: (q) => q.queryKey[0] === "workspace" && q.queryKey[2] === "lookup" });
}

/** The options of a lookup (shared by every picker of the workspace); none for a lookup it does not offer. */
export function loadOptions(source: LookupSource, name: string): Promise<Option[]> {
  return queryClient.fetchQuery(optionsQuery(source, name));
}

export function useOptions(name: string | null): { options: Option[] | null; failed: boolean } {
  const source = useContext(LookupContext);
  const lookups = useLookups();
  const workspaceId = source?.workspaceId;
  const ready = workspaceId !== undefined && Boolean(name) && lookups !== null;
  const { data, isError } = useQuery(
    { ...optionsQuery({ workspaceId: workspaceId ?? 0, lookups: lookups ?? [] }, name ?? ""), enabled: ready },
    queryClient,
  );
  return { options: data ?? null, failed: isError };
}

/** More options than this: the select can be searched and the checkboxes filtered. */
const LONG_LIST = 8;

/** RJSF widget: a select (one value, searchable over a long list) or checkboxes (several), filled from the lookup. */
export function LookupWidget(props: WidgetProps) {
  const { t } = useTranslation();
  const { id, value, onChange, options: uiOptions, schema, label, disabled, readonly, uiSchema, rawErrors } = props;
  const lookups = useLookups();
  const widget = uiSchema?.["ui:widget"];
  const name =
    (uiOptions.lookup as string | undefined) ??
    (typeof widget === "string" && lookups ? lookupForWidget(widget, lookups) : null);
  const multiple = Boolean(uiOptions.multiple) || schema.type === "array";
  const { options, failed } = useOptions(name ?? null);
  const [filter, setFilter] = useState("");
  const itemTypes = ([] as unknown[]).concat(
    (schema.type === "array" ? (schema.items as { type?: unknown })?.type : schema.type) ?? [],
  );
  const numeric = itemTypes.includes("integer") || itemTypes.includes("number");
  const nullable = itemTypes.includes("null");
  const cast = (raw: string) => (numeric ? Number(raw) : raw);
  const status = rawErrors?.length ? ("error" as const) : undefined;

  const shown = useMemo(
    () => (options ?? []).filter((o) => !filter || o.label.includes(filter) || String(o.value).includes(filter)),
    [options, filter],
  );
  const choices = useMemo(
    () =>
      (options ?? []).map((o) => ({
        value: o.value,
        label: o.hint && o.hint !== o.label ? `${o.label} (${o.hint})` : o.label,
      })),
    [options],
  );

  // A widget name no lookup of the workspace claims (its plugin is off) has nothing to pick from either.
  const nothing = (options && options.length === 0) || (lookups !== null && !name);
  if (failed || nothing) {
    // Nothing to pick from (or the plugin's list is not reachable): type the value.
    const text = Array.isArray(value) ? value.join(",") : value ?? "";
    return (
      <div className="lookup">
        <Input
          id={id}
          aria-label={label}
          value={text}
          status={status}
          disabled={disabled || readonly}
          onChange={(e) => {
            const raw = e.target.value;
            if (multiple) onChange(raw.split(",").map((x) => x.trim()).filter(Boolean).map(cast));
            else onChange(raw === "" ? (nullable ? null : undefined) : cast(raw));
          }}
        />
        <Typography.Text type="secondary" className="muted small">
          {failed ? t("picker.unavailable") : t("picker.empty")}
        </Typography.Text>
      </div>
    );
  }
  if (!options) return <Typography.Text type="secondary">{t("common.loading")}</Typography.Text>;

  if (!multiple) {
    const long = options.length > LONG_LIST;
    return (
      // (named by its form item's label: an aria-label would name antd's wrapper too, as a second control)
      <Select<string | number>
        id={id}
        className="lookup-select"
        style={{ width: "100%" }}
        value={value === undefined || value === null || value === "" ? undefined : (value as string | number)}
        placeholder={nullable ? t("picker.none") : t("picker.choose")}
        allowClear
        showSearch={long}
        optionFilterProp="label"
        // every option drawn (a list of a few hundred at most), so that each can be scrolled to
        virtual={false}
        status={status}
        disabled={disabled || readonly}
        options={choices}
        onChange={(next) => onChange(next === undefined || next === null ? (nullable ? null : undefined) : next)}
      />
    );
  }
  const chosen: unknown[] = Array.isArray(value) ? value : [];
  const toggle = (v: string | number) =>
    onChange(chosen.includes(v) ? chosen.filter((x) => x !== v) : [...chosen, v]);
  return (
    <div className="lookup" role="group" aria-label={label} id={id}>
      {options.length > LONG_LIST && (
        <Input
          className="lookup-filter"
          size="small"
          allowClear
          placeholder={t("picker.filter")}
          aria-label={t("picker.filter")}
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
        />
      )}
      <ul className="checks">
        {shown.map((o) => (
          <li key={String(o.value)}>
            <Checkbox checked={chosen.includes(o.value)} disabled={disabled || readonly} onChange={() => toggle(o.value)}>
              {o.color && <span className="swatch" style={{ background: o.color, marginInlineEnd: 6 }} />}
              {o.label}
              {o.hint && o.hint !== o.label && <Typography.Text type="secondary"> {o.hint}</Typography.Text>}
            </Checkbox>
          </li>
        ))}
      </ul>
    </div>
  );
}
