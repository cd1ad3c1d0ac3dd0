// A node's one-line summary with the names of the workspace's data it names (for lists of nodes drawn in a loop).
import { useTranslation } from "react-i18next";
import type { NodeTypeDef } from "../types";
import { summarize } from "./summary";
import { useSummaryNames } from "./useSummaryNames";

/** The summary of a node of type `type` (unknown: nothing) configured with `config`. */
export function useNodeSummary(typeKey: string, config: Record<string, unknown> | undefined, type: NodeTypeDef | undefined): string {
  const { t, i18n } = useTranslation();
  const names = useSummaryNames(type?.config_schema, type?.ui_schema);
  return summarize(t, typeKey, config ?? {}, type?.config_schema, i18n.language, type?.ui_schema, names);
}

export function NodeSummary({ typeKey, config, type }: { typeKey: string; config: Record<string, unknown> | undefined; type: NodeTypeDef | undefined }) {
  const summary = useNodeSummary(typeKey, config, type);
  return summary ? <span className="muted small"> {summary}</span> : null;
}
