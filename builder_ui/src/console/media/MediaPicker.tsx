// Choose an image or a video from the library, or upload one there and then: a button that opens a dialog.
import { Button, Modal } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { MediaGrid } from "./MediaGrid";
import { ACCEPT, MediaUpload } from "./MediaUpload";
import type { MediaItem } from "./types";
import "./media.css";

export function MediaPicker(props: {
  workspaceId: number;
  kind?: MediaItem["kind"];
  onPick: (item: MediaItem) => void;
  /** The button's text; "ライブラリから選ぶ" when left out. */
  label?: string;
  disabled?: boolean;
}) {
  const { workspaceId, kind, onPick, label, disabled } = props;
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const pick = (item: MediaItem) => {
    setOpen(false);
    onPick(item);
  };
  const accept = kind === "image" ? "image/jpeg,image/png,image/webp,image/gif" : kind === "video" ? "video/mp4" : ACCEPT;
  return (
    <>
      <Button disabled={disabled} onClick={() => setOpen(true)}>
        {label ?? t("media.pick")}
      </Button>
      <Modal
        open={open}
        title={t(kind ? `media.pick_${kind}` : "media.pick")}
        onCancel={() => setOpen(false)}
        footer={null}
        width={720}
        destroyOnHidden
      >
        <MediaUpload workspaceId={workspaceId} accept={accept} onUploaded={(item) => (!kind || item.kind === kind) && pick(item)} />
        <MediaGrid workspaceId={workspaceId} kind={kind} onChoose={pick} />
      </Modal>
    </>
  );
}
