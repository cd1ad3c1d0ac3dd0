// Pickers for data of the workspace (tags, marks, fields, staff …): a registry from a lookup name to where its
// options come from, and from a property name to a lookup. A plugin names a lookup in its uiSchema
// (`"ui:options": {"lookup": "response_marks.marks"}`); well-known property names get one without it.
// Anything else gets RJSF's plain widgets, so a new plugin's node types work with no UI code.
import type { WidgetProps } from "@rjsf/utils";
import { createContext, useContext, useEffect, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, workspaceUrl } from "../api";

export interface Option {
  value: string | number;
  label: string;
  hint?: string;
  color?: string;
}

interface Lookup {
  plugin: string | null; // null: the core's
  path: string;
  paged?: boolean;
  toOption: (row: Record<string, unknown>) => Option;
}

const s = (v: unknown) => (v === null || v === undefined ? "" : String(v));

export const LOOKUPS: Record<string, Lookup> = {
  "tags.tags": {
    plugin: "tags",
    path: "/tags",
    toOption: (r) => ({ value: r.id as number, label: s(r.name), color: s(r.color) }),
  },
  "response_marks.marks": {
    plugin: "response_marks",
    path: "/response_marks/marks",
    toOption: (r) => ({ value: r.id as number, label: s(r.label), color: s(r.color) }),
  },
  "friend_fields.fields": {
    plugin: "friend_fields",
    path: "/friend_fields/fields",
    toOption: (r) => ({ value: s(r.key), label: s(r.label), hint: s(r.key) }),
  },
  "assignment.staff": {
    plugin: "assignment",
    path: "/assignment/staff",
    toOption: (r) => ({ value: r.user_id as number, label: s(r.display_name) }),
  },
  "assignment.pools": {
    plugin: "assignment",
    path: "/assignment/pools",
    toOption: (r) => ({ value: r.id as number, label: s(r.name) }),
  },
  "messages.templates": {
    plugin: "messages",
    path: "/messages/templates?limit=200",
    paged: true,
    toOption: (r) => ({ value: r.id as number, label: s(r.name) }),
  },
  "inflow.routes": {
    plugin: "inflow",
    path: "/inflow/routes",
    toOption: (r) => ({ value: r.id as number, label: s(r.name), hint: s(r.folder) }),
  },
  "funnels.funnels": {
    plugin: "funnels",
    path: "/funnels",
    toOption: (r) => ({ value: r.id as number, label: s(r.name) }),
  },
  "core.scenarios": {
    plugin: null,
    path: "/scenarios?limit=200",
    paged: true,
    toOption: (r) => ({ value: r.id as number, label: s(r.name) }),
  },
};

// Property names that mean the same data in every plugin that uses them.
const BY_PROPERTY: Record<string, string> = {
  tag_id: "tags.tags",
  tag_ids: "tags.tags",
  mark_id: "response_marks.marks",
  mark_ids: "response_marks.marks",
  to_mark_ids: "response_marks.marks",
  from_mark_ids: "response_marks.marks",
  user_id: "assignment.staff",
  user_ids: "assignment.staff",
  to_user_ids: "assignment.staff",
  pool_id: "assignment.pools",
  key: "friend_fields.fields",
  keys: "friend_fields.fields",
  route_id: "inflow.routes",
  route_ids: "inflow.routes",
  funnel_id: "funnels.funnels",
  scenario_id: "core.scenarios",
  template_id: "messages.templates",
};

const LOOKUP_WIDGETS: Record<string, string> = { messageTemplate: "messages.templates" };

/** The lookup for a property, or null for a plain widget. */
export function pickerFor(name: string, prop: Record<string, unknown>, named?: string): string | null {
  if (named) return LOOKUPS[named] ? named : null;
  const lookup = BY_PROPERTY[name];
  if (!lookup) return null;
  const item = prop.type === "array" ? (prop.items as Record<string, unknown> | undefined) : prop;
  const types = ([] as unknown[]).concat(item?.type ?? []);
  const wantsString = lookup === "friend_fields.fields";
  const fits = wantsString ? types.includes("string") : types.includes("integer");
  return fits ? lookup : null;
}

export function lookupForWidget(widget: string): string | null {
  return LOOKUP_WIDGETS[widget] ?? null;
}

export interface LookupSource {
  workspaceId: number;
  enabledPlugins: string[];
}

export const LookupContext = createContext<LookupSource | null>(null);

const cache = new Map<string, Promise<Option[]>>();

export function forgetLookups(): void {
  cache.clear();
}

export function loadOptions(source: LookupSource, name: string): Promise<Option[]> {
  const lookup = LOOKUPS[name];
  if (!lookup) return Promise.resolve([]);
  if (lookup.plugin && !source.enabledPlugins.includes(lookup.plugin)) return Promise.resolve([]);
  const key = `${source.workspaceId}:${name}`;
  let found = cache.get(key);
  if (!found) {
    found = api
      .get<unknown>(workspaceUrl(source.workspaceId, lookup.path))
      .then((data) => {
        const rows = (lookup.paged ? (data as { items: unknown[] }).items : data) as Record<string, unknown>[];
        return rows.map(lookup.toOption);
      })
      .catch((error) => {
        cache.delete(key);
        throw error;
      });
    cache.set(key, found);
  }
  return found;
}

export function useOptions(name: string | null): { options: Option[] | null; failed: boolean } {
  const source = useContext(LookupContext);
  const [options, setOptions] = useState<Option[] | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (!source || !name) return;
    let live = true;
    loadOptions(source, name)
      .then((o) => live && setOptions(o))
      .catch(() => live && setFailed(true));
    return () => {
      live = false;
    };
  }, [source, name]);
  return { options, failed };
}

/** RJSF widget: a select (one value) or a list of checkboxes (several), filled from the lookup. */
export function LookupWidget(props: WidgetProps) {
  const { t } = useTranslation();
  const { id, value, onChange, options: uiOptions, schema, label, disabled, readonly, required } = props;
  const name = (uiOptions.lookup as string | undefined) ?? lookupForWidget(String(uiOptions.widget ?? ""));
  const multiple = Boolean(uiOptions.multiple) || schema.type === "array";
  const { options, failed } = useOptions(name ?? null);
  const [filter, setFilter] = useState("");
  const itemTypes = ([] as unknown[]).concat(
    (schema.type === "array" ? (schema.items as { type?: unknown })?.type : schema.type) ?? [],
  );
  const numeric = itemTypes.includes("integer") || itemTypes.includes("number");
  const nullable = itemTypes.includes("null");
  const cast = (raw: string) => (numeric ? Number(raw) : raw);

  const shown = useMemo(
    () => (options ?? []).filter((o) => !filter || o.label.includes(filter) || String(o.value).includes(filter)),
    [options, filter],
  );

  if (failed || (options && options.length === 0)) {
    // Nothing to pick from (or the plugin's list is not reachable): type the value.
    const text = Array.isArray(value) ? value.join(",") : value ?? "";
    return (
      <div className="lookup">
        <input
          id={id}
          aria-label={label}
          value={text}
          disabled={disabled || readonly}
          onChange={(e) => {
            const raw = e.target.value;
            if (multiple) onChange(raw.split(",").map((x) => x.trim()).filter(Boolean).map(cast));
            else onChange(raw === "" ? (nullable ? null : undefined) : cast(raw));
          }}
        />
        <p className="muted small">{failed ? t("picker.unavailable") : t("picker.empty")}</p>
      </div>
    );
  }
  if (!options) return <p className="muted small">{t("common.loading")}</p>;

  if (!multiple) {
    return (
      <select
        id={id}
        aria-label={label}
        value={value === undefined || value === null ? "" : String(value)}
        required={required}
        disabled={disabled || readonly}
        onChange={(e) => onChange(e.target.value === "" ? (nullable ? null : undefined) : cast(e.target.value))}
      >
        <option value="">{nullable ? t("picker.none") : t("picker.choose")}</option>
        {options.map((o) => (
          <option key={String(o.value)} value={String(o.value)}>
            {o.hint && o.hint !== o.label ? `${o.label} (${o.hint})` : o.label}
          </option>
        ))}
      </select>
    );
  }
  const chosen: unknown[] = Array.isArray(value) ? value : [];
  const toggle = (v: string | number) =>
    onChange(chosen.includes(v) ? chosen.filter((x) => x !== v) : [...chosen, v]);
  return (
    <div className="lookup" role="group" aria-label={label} id={id}>
      {options.length > 8 && (
        <input
          className="lookup-filter"
          placeholder={t("picker.filter")}
          aria-label={t("picker.filter")}
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
        />
      )}
      <ul className="checks">
        {shown.map((o) => (
          <li key={String(o.value)}>
            <label>
              <input
                type="checkbox"
                checked={chosen.includes(o.value)}
                disabled={disabled || readonly}
                onChange={() => toggle(o.value)}
              />
              {o.color && <span className="swatch" style={{ background: o.color }} />}
              {o.label}
              {o.hint && o.hint !== o.label && <span className="muted small"> {o.hint}</span>}
            </label>
          </li>
        ))}
      </ul>
    </div>
  );
}
