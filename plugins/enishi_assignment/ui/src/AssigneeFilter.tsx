// The inbox's filter by assignee: anyone, me (for staff of the workspace), nobody, or a staff member.
import { useOptions, type ConversationFilterProps, type SegmentConditionOf } from "@enishi/plugin-ui";
import { Select } from "antd";
import { useId } from "react";
import { useTranslation } from "react-i18next";
import { PLUGIN } from "./names";

export function AssigneeFilter({ value, onChange, meId }: ConversationFilterProps) {
  const { t } = useTranslation(PLUGIN);
  const { options: staff } = useOptions(`${PLUGIN}.staff`);
  // Only staff of the workspace can be assigned friends (an agency's owner may not be).
  const meIsStaff = meId !== null && (staff ?? []).some((o) => o.value === meId);
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
          ...(meIsStaff ? [{ value: "me", label: t("filter.me") }] : []),
          { value: "nobody", label: t("filter.nobody") },
          ...(staff ?? []).map((o) => ({ value: String(o.value), label: o.label })),
        ]}
        popupMatchSelectWidth={false}
        style={{ minWidth: 140 }}
      />
    </div>
  );
}

/** "nobody": unassigned friends; "me" or a user id: friends assigned to them. */
export function assigneeCondition(value: string, { meId }: { meId: number | null }): SegmentConditionOf | null {
  if (value === "nobody") return { type: `${PLUGIN}.assignee_is`, config: { match: "nobody" } };
  // Not staff yet (no user id): "me" matches nobody's assignee rather than everyone.
  const id = value === "me" ? (meId ?? 0) : Number(value);
  return Number.isInteger(id) && id >= 0 ? { type: `${PLUGIN}.assignee_is`, config: { match: "any_of", user_ids: [id] } } : null;
}
