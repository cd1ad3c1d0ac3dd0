// The last look before a broadcast goes: to how many friends, how many messages LINE's quota (and the plan) leave
// this month, when, and the messages themselves as the friends will see them.
import { Modal } from "antd";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { localized } from "../../i18n";
import type { Estimate } from "./types";

export interface ConfirmSendProps {
  open: boolean;
  name: string;
  estimate: Estimate | null;
  /** the workspace's wall-clock time it is scheduled for, or null for now */
  scheduledLocal: string | null;
  timezone: string;
  allowPartial: boolean;
  messageCount: number;
  /** the messages as the friends will see them */
  children: ReactNode;
  sending: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}

export function ConfirmSend(props: ConfirmSendProps) {
  const { t, i18n } = useTranslation();
  const { estimate } = props;
  const n = (v: number | null | undefined) => (v === null || v === undefined ? "—" : v.toLocaleString(i18n.language));
  const recipients = estimate ? (props.allowPartial && !estimate.fits ? estimate.sendable : estimate.recipients) : null;
  const quotaLeft = estimate ? (estimate.quota.type === "none" ? t("broadcasts.compose.unlimited") : n(estimate.quota.remaining)) : "—";
  const scheduled = props.scheduledLocal !== null;
  return (
    <Modal
      open={props.open}
      title={scheduled ? t("broadcasts.confirm.title_schedule") : t("broadcasts.confirm.title_now")}
      okText={scheduled ? t("broadcasts.compose.schedule") : t("broadcasts.confirm.send")}
      cancelText={t("broadcasts.confirm.back")}
      onOk={props.onConfirm}
      onCancel={props.onCancel}
      confirmLoading={props.sending}
      width={560}
      destroyOnHidden
    >
      <dl className="confirm-facts">
        <dt>{t("broadcasts.compose.name")}</dt>
        <dd>{props.name}</dd>
        <dt>{t("broadcasts.confirm.recipients")}</dt>
        <dd>{recipients === null ? "—" : t("broadcasts.compose.recipients", { count: recipients, n: n(recipients) })}</dd>
        <dt>{t("broadcasts.compose.quota_left")}</dt>
        <dd>
          {quotaLeft}
          {estimate?.quota.stale && ` (${t("broadcasts.compose.stale")})`}
        </dd>
        {estimate && estimate.plan.monthly_messages !== null && (
          <>
            <dt>{t("broadcasts.compose.plan_left", { plan: localized(estimate.plan.name, i18n.language) })}</dt>
            <dd>{n(estimate.plan.remaining)}</dd>
          </>
        )}
        <dt>{t("broadcasts.compose.when")}</dt>
        <dd>{scheduled ? `${props.scheduledLocal!.replace("T", " ").slice(0, 16)}（${props.timezone}）` : t("broadcasts.compose.now")}</dd>
      </dl>
      {scheduled && <p className="small muted">{t("broadcasts.confirm.scheduled_note")}</p>}
      <h3>{t("broadcasts.confirm.messages", { count: props.messageCount })}</h3>
      {props.children}
    </Modal>
  );
}
