// The message editor's "ライブラリから選ぶ": an image or video from the workspace's media library (or uploaded
// there and then) fills in the message's originalContentUrl and previewImageUrl.
import { useContext } from "react";
import { MediaPicker } from "../console/media/MediaPicker";
import type { MediaItem } from "../console/media/types";
import { LookupContext } from "./pickers";

export interface MediaMessage {
  type: "image" | "video";
  originalContentUrl: string;
  previewImageUrl: string;
}

export function mediaMessage(item: MediaItem): MediaMessage {
  return { type: item.kind, originalContentUrl: item.url, previewImageUrl: item.preview_url };
}

/** Nothing where the form is not a workspace's (no library to choose from). */
export function MediaMessagePicker(props: { onPick: (message: MediaMessage) => void }) {
  const source = useContext(LookupContext);
  if (!source?.workspaceId) return null;
  return <MediaPicker workspaceId={source.workspaceId} onPick={(item) => props.onPick(mediaMessage(item))} />;
}
