// Thumbnails of the library: the preview image, the kind and the name; a click chooses (picker) or nothing.
import { PlayCircleOutlined } from "@ant-design/icons";
import { Button, Empty, Spin } from "antd";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { useMedia } from "./mediaApi";
import type { MediaItem } from "./types";

export function MediaGrid(props: {
  workspaceId: number;
  kind?: MediaItem["kind"];
  onChoose?: (item: MediaItem) => void;
  actions?: (item: MediaItem) => ReactNode;
}) {
  const { workspaceId, kind, onChoose, actions } = props;
  const { t } = useTranslation();
  const media = useMedia(workspaceId, kind);
  const items = media.data?.pages.flatMap((p) => p.items) ?? [];
  if (media.isPending) return <Spin />;
  if (media.isError) return <p className="muted">{t("common.failed", { message: String(media.error) })}</p>;
  if (!items.length) return <Empty description={t("media.empty")} />;
  return (
    <>
      <ul className="media-grid" aria-label={t("media.items")}>
        {items.map((item) => {
          const picture = (
            <>
              <img src={item.view_url} alt={item.name} loading="lazy" />
              {item.kind === "video" && <PlayCircleOutlined className="media-play" aria-label={t("media.kind.video")} />}
            </>
          );
          return (
            <li key={item.id} className="media-card">
              {onChoose ? (
                <button
                  type="button"
                  className="media-thumb"
                  aria-label={t("media.choose_item", { name: item.name })}
                  onClick={() => onChoose(item)}
                >
                  {picture}
                </button>
              ) : (
                <span className="media-thumb">{picture}</span>
              )}
              <span className="media-name small" title={item.name}>
                {item.name}
              </span>
              {item.preview_note && <span className="small muted">{t("media.no_frame")}</span>}
              {actions?.(item)}
            </li>
          );
        })}
      </ul>
      {media.hasNextPage && (
        <Button loading={media.isFetchingNextPage} onClick={() => void media.fetchNextPage()}>
          {t("media.more")}
        </Button>
      )}
    </>
  );
}
