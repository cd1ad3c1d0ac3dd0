// A node's one-line summary with the names of the workspace's data it names (for lists of nodes drawn in a loop).
import { useMemo } from "react";
import { useTranslation } from "react-i18next";
import { useEditor } from "../editor/context";
import { localized } from "../i18n";
import type { NodeTypeDef } from "../types";
import { summarize } from "./summary";
import { useSummaryNames } from "./useSummaryNames";

/** The summary of a node of type `type` (unknown: nothing) configured with `config`. */
export function useNodeSummary(typeKey: string, config: Record<string, unknown> | undefined, type: NodeTypeDef | undefined): string {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const names = useSummaryNames(type?.config_schema, type?.ui_schema);
  const { types } = useEditor();
  const typeLabels = useMemo(() => new Map([...types].map(([key, def]) => [key, localized(def.label, lang)])), [types, lang]);
  return summarize(t, typeKey, config ?? {}, type?.config_schema, lang, type?.ui_schema, names, typeLabels);
}

export function NodeSummary({ typeKey, config, type }: { typeKey: string; config: Record<string, unknown> | undefined; type: NodeTypeDef | undefined }) {
  const summary = useNodeSummary(typeKey, config, type);
  return summary ? <span className="muted small"> {summary}</span> : null;
}
