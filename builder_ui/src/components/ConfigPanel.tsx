// The selected node: its name, what its type does, the server's problems with it and its config form.
import { Alert, Button, Input } from "antd";
import { useTranslation } from "react-i18next";
import { ConfigForm } from "../forms/ConfigForm";
import type { FlowNode } from "../graph/document";
import { localized } from "../i18n";
import type { NodeTypeDef, Problem } from "../types";
import { IN_NODE, problemText } from "../problems";
import { FormItem } from "./FormItem";

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
      <FormItem id="node-label" label={t("config.label")}>
        <Input
          id="node-label"
          value={node.data.label ?? ""}
          maxLength={100}
          placeholder={nodeType ? localized(nodeType.label, lang) : ""}
          onChange={(e) => onLabel(e.target.value)}
        />
      </FormItem>
      {problems.length > 0 && (
        <Alert
          type="error"
          role="none"
          className="node-problems"
          message={
            <ul className="problems" aria-label={t("config.problems")}>
              {problems.map((p, i) => (
                <li key={i}>{problemText({ path: p.path, message: localized(p.message, lang) }, IN_NODE)}</li>
              ))}
            </ul>
          }
        />
      )}
      {nodeType ? (
        <ConfigForm
          key={node.id}
          nodeType={nodeType}
          config={node.data.config}
          onChange={onConfig}
          problems={problems}
          reveal={problems.length > 0}
        />
      ) : (
        <Alert type="error" role="none" message={t("editor.unknown_type", { type: node.data.typeKey })} />
      )}
      <div className="panel-actions">
        <Button danger onClick={onDelete}>
          {t("config.delete")}
        </Button>
      </div>
    </section>
  );
}
