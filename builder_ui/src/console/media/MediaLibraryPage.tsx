// メディア: the workspace's images and videos for messages: upload (button or drop), look, delete.
import { Button, Popconfirm, Typography, message as toast } from "antd";
import { useTranslation } from "react-i18next";
import type { WorkspaceAccess } from "../../types";
import { deleteMedia } from "./mediaApi";
import { MediaGrid } from "./MediaGrid";
import { MediaUpload, refusalText } from "./MediaUpload";
import "./media.css";

export function MediaLibraryPage({ access }: { access: WorkspaceAccess }) {
  const { t, i18n } = useTranslation();
  const workspaceId = access.workspace.id;
  const canWrite = access.permissions.includes("core.write");
  return (
    <section className="media-page">
      <Typography.Title level={2}>{t("media.title")}</Typography.Title>
      <p className="muted">{t("media.intro")}</p>
      {canWrite && <MediaUpload workspaceId={workspaceId} />}
      <MediaGrid
        workspaceId={workspaceId}
        actions={
          canWrite
            ? (item) => (
                <Popconfirm
                  title={t("media.delete_confirm", { name: item.name })}
                  description={t("media.delete_note")}
                  okText={t("media.delete")}
                  cancelText={t("common.cancel")}
                  onConfirm={() =>
                    deleteMedia(workspaceId, item.id).catch((e: unknown) =>
                      toast.error(t("media.delete_failed", { message: refusalText(e, i18n.language) })),
                    )
                  }
                >
                  <Button size="small" danger>
                    {t("media.delete")}
                  </Button>
                </Popconfirm>
              )
            : undefined
        }
      />
    </section>
  );
}
