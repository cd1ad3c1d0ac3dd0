// The inbox's filter by response mark: any, no mark, or one of the workspace's marks.
import { useOptions, type ConversationFilterProps, type SegmentConditionOf } from "@enishi/plugin-ui";
import { useTranslation } from "react-i18next";
import { PLUGIN } from "./names";

export function MarkFilter({ value, onChange }: ConversationFilterProps) {
  const { t } = useTranslation(PLUGIN);
  const { options } = useOptions(`${PLUGIN}.marks`);
  return (
    <label className="field">
      {t("filter.label")}
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{t("filter.any")}</option>
        <option value="none">{t("filter.no_mark")}</option>
        {(options ?? []).map((o) => (
          <option key={String(o.value)} value={String(o.value)}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}

/** "none": friends without a mark; a mark's id: friends with it. */
export function markCondition(value: string): SegmentConditionOf | null {
  if (value === "none") return { type: `${PLUGIN}.mark_is`, config: { no_mark: true } };
  const id = Number(value);
  return Number.isInteger(id) && id > 0 ? { type: `${PLUGIN}.mark_is`, config: { mark_ids: [id] } } : null;
}
