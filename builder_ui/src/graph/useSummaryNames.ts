// The names a node's summary shows for the ids in its config: each property a lookup claims (named by the
// uiSchema, by a widget name, or by its property name, as the forms decide) is read through the same cached
// lookup queries the pickers use, so a tag id is shown as the tag's name.
import { useQueries } from "@tanstack/react-query";
import { useContext, useMemo } from "react";
import { LookupContext, lookupForWidget, optionsQuery, pickerFor, useLookups } from "../forms/pickers";
import { queryClient } from "../query";
import type { SummaryNames } from "./summary";

type Schema = Record<string, unknown>;
const isObject = (v: unknown): v is Schema => !!v && typeof v === "object" && !Array.isArray(v);

/** The lookup each top-level property of a config names (none for plain fields). */
export function lookupsByProperty(
  schema: unknown,
  uiSchema: unknown,
  lookups: Parameters<typeof pickerFor>[3],
): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObject(schema) || !isObject(schema.properties)) return out;
  for (const [name, prop] of Object.entries(schema.properties)) {
    if (!isObject(prop)) continue;
    const ui = isObject(uiSchema) && isObject(uiSchema[name]) ? uiSchema[name] : {};
    const options = isObject(ui["ui:options"]) ? ui["ui:options"] : {};
    const widget = typeof ui["ui:widget"] === "string" ? lookupForWidget(ui["ui:widget"], lookups ?? []) : null;
    const lookup = pickerFor(name, prop, typeof options.lookup === "string" ? options.lookup : (widget ?? undefined), lookups);
    if (lookup) out[name] = lookup;
  }
  return out;
}

/** Names by value for each property of the config that holds the workspace's ids (null while loading). */
export function useSummaryNames(schema: unknown, uiSchema: unknown): SummaryNames {
  const source = useContext(LookupContext);
  const lookups = useLookups();
  const byProperty = useMemo(() => lookupsByProperty(schema, uiSchema, lookups ?? []), [schema, uiSchema, lookups]);
  const wanted = [...new Set(Object.values(byProperty))];
  const ready = source !== null && lookups !== null;
  const results = useQueries(
    {
      queries: wanted.map((name) => ({
        ...optionsQuery({ workspaceId: source?.workspaceId ?? 0, lookups: lookups ?? [] }, name),
        enabled: ready,
      })),
    },
    queryClient,
  );
  const names: SummaryNames = {};
  for (const [prop, lookup] of Object.entries(byProperty)) {
    const options = results[wanted.indexOf(lookup)]?.data;
    names[prop] = options ? new Map(options.map((o) => [o.value, o.label])) : null;
  }
  return names;
}
