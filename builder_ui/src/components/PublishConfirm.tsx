// Before publishing: what changes against the published version (steps added, removed, changed, by name) and
// whom it concerns, then publish or go back.
import { Alert, Modal } from "antd";
import { useTranslation } from "react-i18next";
import { localized } from "../i18n";

export interface PublishPreview {
  first_publish: boolean;
  added: { node_id: string; title: { ja: string; en: string } }[];
  removed: { node_id: string; title: { ja: string; en: string } }[];
  changed: { node_id: string; title: { ja: string; en: string } }[];
  edges_changed: boolean;
  settings_changed: boolean;
  live_runs: number;
  problems: number;
}

export function PublishConfirm({
  preview,
  titleOf,
  busy,
  onPublish,
  onCancel,
}: {
  preview: PublishPreview | null;
  /** The name the canvas shows for a step (its label, else its type's), when it is still there. */
  titleOf: (nodeId: string) => string | undefined;
  busy: boolean;
  onPublish: () => void;
  onCancel: () => void;
}) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  if (!preview) return null;
  const names = (items: PublishPreview["added"]) =>
    items.map((i) => titleOf(i.node_id) ?? localized(i.title, lang)).join("、");
  const nothing =
    !preview.first_publish &&
    !preview.added.length &&
    !preview.removed.length &&
    !preview.changed.length &&
    !preview.edges_changed &&
    !preview.settings_changed;
  return (
    <Modal
      open
      title={t("publishing.title")}
      okText={t("publishing.publish")}
      cancelText={t("common.cancel")}
      okButtonProps={{ disabled: preview.problems > 0 }}
      confirmLoading={busy}
      onOk={onPublish}
      onCancel={onCancel}
    >
      <section aria-label={t("publishing.changes")}>
        {preview.first_publish ? (
          <p>{t("publishing.first")}</p>
        ) : nothing ? (
          <p>{t("publishing.nothing")}</p>
        ) : (
          <ul className="publish-changes">
            {preview.added.length > 0 && <li>{t("publishing.added", { names: names(preview.added) })}</li>}
            {preview.removed.length > 0 && <li>{t("publishing.removed", { names: names(preview.removed) })}</li>}
            {preview.changed.length > 0 && <li>{t("publishing.changed", { names: names(preview.changed) })}</li>}
            {preview.edges_changed && <li>{t("publishing.edges")}</li>}
            {preview.settings_changed && <li>{t("publishing.settings")}</li>}
          </ul>
        )}
        <p>
          {preview.live_runs > 0
            ? t("publishing.live_runs", { count: preview.live_runs })
            : t("publishing.no_live_runs")}
        </p>
        <p className="muted small">{t("publishing.new_friends")}</p>
        {preview.problems > 0 && (
          <Alert type="error" showIcon message={t("publishing.problems", { count: preview.problems })} />
        )}
      </section>
    </Modal>
  );
}
