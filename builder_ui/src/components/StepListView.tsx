// The step list: the same graph as timed steps, for a linear scenario.
import { Button, InputNumber, Select } from "antd";
import { useTranslation } from "react-i18next";
import type { FlowEdge, FlowNode } from "../graph/document";
import { flowNode, newId } from "../graph/document";
import { dayAfter, graphToSteps, isStepList, stepsToGraph, type Step, type StepList, type Timing } from "../graph/steps";
import { NodeSummary } from "../graph/NodeSummary";
import { localized } from "../i18n";
import type { NodeTypeDef } from "../types";
import { defaultConfig } from "../editor/defaults";
import { FormItem } from "./FormItem";
import { TimeField } from "./TimeFields";

export function StepListView({
  nodes,
  edges,
  types,
  onChange,
  onEdit,
  onShowCanvas,
}: {
  nodes: FlowNode[];
  edges: FlowEdge[];
  types: Map<string, NodeTypeDef>;
  onChange: (graph: { nodes: FlowNode[]; edges: FlowEdge[] }) => void;
  onEdit: (nodeId: string) => void;
  onShowCanvas: () => void;
}) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const list = graphToSteps(nodes, edges, types);
  const actionTypes = [...types.values()].filter((x) => x.kind === "action" && !x.deprecated);
  const triggerTypes = [...types.values()].filter((x) => x.kind === "trigger" && !x.deprecated);

  if (!isStepList(list)) {
    if (list.reason === "empty" || (list.reason === "triggers" && nodes.length === 0)) {
      return (
        <div className="step-list empty-steps">
          <p>{t("steps.start_with")}</p>
          <Select
            className="step-select"
            // Every option drawn (not only those scrolled to): the list is short, and each is found by its name.
            virtual={false}
            aria-label={t("steps.trigger")}
            placeholder={t("picker.choose")}
            value={null}
            onChange={(key: string) => {
              const type = types.get(key);
              if (!type) return;
              const trigger = flowNode(
                { id: newId(), type: type.key, type_version: type.version, config: defaultConfig(type) },
                { x: 0, y: 0 },
              );
              onChange({ nodes: [trigger], edges: [] });
            }}
            options={triggerTypes.map((x) => ({ value: x.key, label: localized(x.label, lang) }))}
          />
        </div>
      );
    }
    return (
      <div className="step-list not-linear" role="status">
        <p>{t(`steps.not_linear.${list.reason}`)}</p>
        <Button onClick={onShowCanvas}>{t("steps.open_canvas")}</Button>
      </div>
    );
  }

  const write = (next: StepList) => onChange(stepsToGraph(next, types, edges));
  const setStep = (i: number, step: Step) => write({ ...list, steps: list.steps.map((s, j) => (j === i ? step : s)) });
  const days: number[] = [];
  let day = 0;
  for (const s of list.steps) {
    days.push(day);
    day = dayAfter(s, day);
  }
  const addStep = (key: string) => {
    const type = types.get(key);
    if (!type) return;
    const action = flowNode(
      { id: newId(), type: type.key, type_version: type.version, config: defaultConfig(type) },
      { x: 0, y: 0 },
    );
    const timing: Timing = list.steps.length === 0 ? { kind: "now" } : { kind: "at", day: day + 1, time: "10:00" };
    write({ ...list, steps: [...list.steps, { timing, action }] });
    onEdit(action.id);
  };

  const trigger = types.get(list.trigger.data.typeKey);
  return (
    <div className="step-list">
      <ol>
        <li className="step trigger-step">
          <div className="step-when">{t("steps.start")}</div>
          <div className="step-what">
            <strong>{trigger ? localized(trigger.label, lang) : list.trigger.data.typeKey}</strong>
            <NodeSummary typeKey={list.trigger.data.typeKey} config={list.trigger.data.config} type={trigger} />
          </div>
          <Button size="small" onClick={() => onEdit(list.trigger.id)}>
            {t("common.edit")}
          </Button>
        </li>
        {list.steps.map((step, i) => {
          const type = types.get(step.action.data.typeKey);
          return (
            <li className="step" key={step.action.id} aria-label={t("steps.nth", { n: i + 1 })}>
              <TimingEditor timing={step.timing} dayBefore={days[i]} onChange={(timing) => setStep(i, { ...step, timing })} />
              <div className="step-what">
                <strong>{step.action.data.label || (type ? localized(type.label, lang) : step.action.data.typeKey)}</strong>
                <NodeSummary typeKey={step.action.data.typeKey} config={step.action.data.config} type={type} />
              </div>
              <div className="step-buttons">
                <Button size="small" onClick={() => onEdit(step.action.id)}>
                  {t("common.edit")}
                </Button>
                <Button size="small" danger onClick={() => write({ ...list, steps: list.steps.filter((_, j) => j !== i) })}>
                  {t("common.remove")}
                </Button>
              </div>
            </li>
          );
        })}
      </ol>
      <div className="add-step">
        <FormItem id="add-step" label={t("steps.add")}>
          <Select
            id="add-step"
            virtual={false}
            placeholder={t("picker.choose")}
            value={null}
            onChange={(key: string) => addStep(key)}
            options={actionTypes.map((x) => ({ value: x.key, label: localized(x.label, lang) }))}
          />
        </FormItem>
      </div>
    </div>
  );
}

function TimingEditor({ timing, dayBefore, onChange }: { timing: Timing; dayBefore: number; onChange: (t: Timing) => void }) {
  const { t } = useTranslation();
  const setKind = (kind: string) => {
    if (kind === "now") onChange({ kind: "now" });
    else if (kind === "at") onChange({ kind: "at", day: dayBefore + 1, time: "10:00" });
    else onChange({ kind: "after", days: 1, hours: 0, minutes: 0 });
  };
  const int = (v: number | null, min: number, max: number) => Math.min(max, Math.max(min, Math.round(Number(v) || 0)));
  return (
    <div className="step-when">
      <Select
        className="step-timing"
        aria-label={t("steps.timing")}
        value={timing.kind}
        onChange={setKind}
        options={[
          { value: "now", label: t("steps.now") },
          { value: "at", label: t("steps.at") },
          { value: "after", label: t("steps.after") },
        ]}
      />
      {timing.kind === "now" && <span className="muted small">{t("steps.day_now", { day: dayBefore })}</span>}
      {timing.kind === "at" && (
        <>
          <InputNumber
            className="step-number"
            aria-label={t("steps.day")}
            suffix={t("steps.day")}
            min={dayBefore}
            max={3650}
            precision={0}
            value={timing.day}
            onChange={(v) => onChange({ ...timing, day: int(v, dayBefore, 3650) })}
          />
          <TimeField label={t("steps.time")} value={timing.time} onChange={(time) => onChange({ ...timing, time })} />
        </>
      )}
      {timing.kind === "after" && (
        <>
          <InputNumber
            className="step-number"
            aria-label={t("steps.days_unit")}
            suffix={t("steps.days_unit")}
            min={0}
            max={3650}
            precision={0}
            value={timing.days}
            onChange={(v) => onChange({ ...timing, days: int(v, 0, 3650) })}
          />
          <InputNumber
            className="step-number"
            aria-label={t("steps.hours_unit")}
            suffix={t("steps.hours_unit")}
            min={0}
            max={23}
            precision={0}
            value={timing.hours}
            onChange={(v) => onChange({ ...timing, hours: int(v, 0, 23) })}
          />
          <InputNumber
            className="step-number"
            aria-label={t("steps.minutes_unit")}
            suffix={t("steps.minutes_unit")}
            min={0}
            max={59}
            precision={0}
            value={timing.minutes}
            onChange={(v) => onChange({ ...timing, minutes: int(v, 0, 59) })}
          />
        </>
      )}
    </div>
  );
}
