// The inbox's filter by response mark: any, no mark, or one of the workspace's marks.
import { useOptions, type ConversationFilterProps, type SegmentConditionOf } from "@enishi/plugin-ui";
import { Select } from "antd";
import { useId } from "react";
import { useTranslation } from "react-i18next";
import { PLUGIN } from "./names";

export function MarkFilter({ value, onChange }: ConversationFilterProps) {
  const { t } = useTranslation(PLUGIN);
  const { options } = useOptions(`${PLUGIN}.marks`);
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{t("filter.label")}</label>
      <Select
        id={id}
        value={value}
        onChange={(v: string) => onChange(v)}
        options={[
          { value: "", label: t("filter.any") },
          { value: "none", label: t("filter.no_mark") },
          ...(options ?? []).map((o) => ({ value: String(o.value), label: o.label })),
        ]}
        popupMatchSelectWidth={false}
        style={{ minWidth: 140 }}
      />
    </div>
  );
}

/** "none": friends without a mark; a mark's id: friends with it. */
export function markCondition(value: string): SegmentConditionOf | null {
  if (value === "none") return { type: `${PLUGIN}.mark_is`, config: { no_mark: true } };
  const id = Number(value);
  return Number.isInteger(id) && id > 0 ? { type: `${PLUGIN}.mark_is`, config: { mark_ids: [id] } } : null;
}
