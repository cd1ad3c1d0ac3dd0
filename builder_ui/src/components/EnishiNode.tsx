// How a scenario node looks on the canvas: its kind's colour, its label and summary, named ports.
import { Handle, Position, type NodeProps } from "@xyflow/react";
import { memo } from "react";
import { useTranslation } from "react-i18next";
import type { FlowNode } from "../graph/document";
import { useNodeSummary } from "../graph/NodeSummary";
import { useEditor } from "../editor/context";
import { localized } from "../i18n";

function formatTime(iso: string, lang: string, timeZone: string): string {
  return new Date(iso).toLocaleString(lang === "en" ? "en-GB" : "ja-JP", {
    timeZone,
    month: "numeric",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}

function EnishiNodeView({ id, data, selected }: NodeProps<FlowNode>) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const { types, problemsByNode, dryRun, waitingByNode, heldByNode, timezone } = useEditor();
  const held = heldByNode?.[id];
  const type = types.get(data.typeKey);
  const problems = problemsByNode.get(id) ?? [];
  const dry = dryRun.get(id);
  const kind = type?.kind ?? "unknown";
  const classes = ["enishi-node", `kind-${kind}`];
  if (selected) classes.push("selected");
  if (problems.length) classes.push("has-problems");
  if (dry) classes.push("on-path");
  if (dryRun.size && !dry) classes.push("off-path");
  const title = data.label || (type ? localized(type.label, lang) : data.typeKey);
  const summary = useNodeSummary(data.typeKey, data.config, type);
  const inputs = type?.inputs ?? [];
  const outputs = type?.outputs ?? [];
  return (
    <div
      className={classes.join(" ")}
      data-node-type={data.typeKey}
      data-testid={`node-${id}`}
      aria-invalid={problems.length > 0}
      title={problems.map((p) => p.message).join("\n") || undefined}
    >
      {inputs.map((port, i) => (
        <Handle
          key={port.name}
          id={port.name}
          type="target"
          position={Position.Top}
          style={{ left: `${((i + 1) * 100) / (inputs.length + 1)}%` }}
          title={localized(port.label, lang)}
        />
      ))}
      <div className="node-kind">{t(`kind.${kind}`)}</div>
      <div className="node-title">{title}</div>
      {summary && <div className="node-summary">{summary}</div>}
      {!type && <div className="node-problem">{t("editor.unknown_type", { type: data.typeKey })}</div>}
      {problems.length > 0 && (
        <div className="node-problem" role="note">
          {t("editor.problem_count", { count: problems.length })}
        </div>
      )}
      {waitingByNode[id] ? <div className="node-waiting">{t("editor.waiting_here", { count: waitingByNode[id] })}</div> : null}
      {held ? (
        <div className="node-held" role="note">
          {t("held.node", { count: held.count, at: formatTime(held.until, lang, timezone), reason: t("held.reasons.quiet_hours") })}
        </div>
      ) : null}
      {dry && (
        <div className="node-dry" role="group" aria-label={t("dry.step_label")}>
          {dry.order.map((o, i) => (
            <span key={o}>
              #{o} {formatTime(dry.at[i], lang, timezone)}
            </span>
          ))}
        </div>
      )}
      {outputs.length > 0 && (
        <div className="node-ports">
          {outputs.length > 1 &&
            outputs.map((port) => (
              <span key={port.name} className={`port-label port-${port.name}`}>
                {localized(port.label, lang)}
              </span>
            ))}
        </div>
      )}
      {outputs.map((port, i) => (
        <Handle
          key={port.name}
          id={port.name}
          type="source"
          position={Position.Bottom}
          style={{ left: `${((i + 1) * 100) / (outputs.length + 1)}%` }}
          title={localized(port.label, lang)}
        />
      ))}
    </div>
  );
}

export const EnishiNode = memo(EnishiNodeView);

// Outside every component, so React Flow does not see a new set of node types on each render.
export const nodeTypes = { enishi: EnishiNode };
