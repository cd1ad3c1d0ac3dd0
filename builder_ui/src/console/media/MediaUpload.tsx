// Upload by button or by dropping files (antd Upload.Dragger); each file's refusal is said in plain words.
import { InboxOutlined } from "@ant-design/icons";
import { Alert, Upload } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError } from "../../api";
import { localized } from "../../i18n";
import { uploadMedia } from "./mediaApi";
import type { MediaItem } from "./types";

export const ACCEPT = "image/jpeg,image/png,image/webp,image/gif,video/mp4";

export function refusalText(e: unknown, language: string): string {
  if (e instanceof ApiError) return localized(e.errors[0]?.message ?? e.message, language);
  return e instanceof Error ? e.message : String(e);
}

export function MediaUpload(props: { workspaceId: number; accept?: string; onUploaded?: (item: MediaItem) => void }) {
  const { workspaceId, accept = ACCEPT, onUploaded } = props;
  const { t, i18n } = useTranslation();
  const [problems, setProblems] = useState<string[]>([]);
  return (
    <div className="media-upload">
      <Upload.Dragger
        accept={accept}
        multiple
        showUploadList={false}
        customRequest={({ file, onSuccess, onError }) => {
          const chosen = file as File;
          uploadMedia(workspaceId, chosen).then(
            (item) => {
              setProblems((p) => p.filter((x) => !x.startsWith(`${chosen.name}: `)));
              onSuccess?.(item);
              onUploaded?.(item);
            },
            (e: unknown) => {
              setProblems((p) => [...p, `${chosen.name}: ${refusalText(e, i18n.language)}`]);
              onError?.(e instanceof Error ? e : new Error(String(e)));
            },
          );
        }}
      >
        <p className="ant-upload-drag-icon">
          <InboxOutlined aria-hidden />
        </p>
        <p>{t("media.upload")}</p>
        <p className="small muted">{t("media.upload_hint")}</p>
      </Upload.Dragger>
      {problems.map((p) => (
        <Alert key={p} type="error" showIcon message={t("media.upload_failed", { message: p })} />
      ))}
    </div>
  );
}
