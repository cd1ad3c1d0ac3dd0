// The selected node: its name, what its type does, the server's problems with it and its config form.
import { useTranslation } from "react-i18next";
import { ConfigForm } from "../forms/ConfigForm";
import type { FlowNode } from "../graph/document";
import { localized } from "../i18n";
import type { NodeTypeDef, Problem } from "../types";
import { IN_NODE, problemText } from "../problems";

export function ConfigPanel({
  node,
  nodeType,
  problems,
  onConfig,
  onLabel,
  onDelete,
}: {
  node: FlowNode;
  nodeType: NodeTypeDef | undefined;
  problems: Problem[];
  onConfig: (config: Record<string, unknown>) => void;
  onLabel: (label: string) => void;
  onDelete: () => void;
}) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  return (
    <section className="config-panel" aria-label={t("config.title")}>
      <h2>{nodeType ? localized(nodeType.label, lang) : node.data.typeKey}</h2>
      {nodeType?.description && <p className="muted small">{localized(nodeType.description, lang)}</p>}
      <label className="field">
        {t("config.label")}
        <input
          value={node.data.label ?? ""}
          maxLength={100}
          placeholder={nodeType ? localized(nodeType.label, lang) : ""}
          onChange={(e) => onLabel(e.target.value)}
        />
      </label>
      {problems.length > 0 && (
        <ul className="problems" aria-label={t("config.problems")}>
          {problems.map((p, i) => (
            <li key={i}>
              {problemText({ path: p.path, message: localized(p.message, lang) }, IN_NODE)}
            </li>
          ))}
        </ul>
      )}
      {nodeType ? (
        <ConfigForm key={node.id} nodeType={nodeType} config={node.data.config} onChange={onConfig} />
      ) : (
        <p className="error">{t("editor.unknown_type", { type: node.data.typeKey })}</p>
      )}
      <div className="panel-actions">
        <button type="button" className="danger" onClick={onDelete}>
          {t("config.delete")}
        </button>
      </div>
    </section>
  );
}
