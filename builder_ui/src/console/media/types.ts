// The media library API's shapes (core/enishi/api/media_routes.py).

export interface MediaItem {
  id: number;
  kind: "image" | "video";
  name: string;
  content_type: string;
  size: number;
  width: number | null;
  height: number | null;
  /** originalContentUrl: what LINE fetches. */
  url: string;
  /** previewImageUrl. */
  preview_url: string;
  /** This app's own address of the preview, for showing it here. */
  view_url: string;
  preview_note: string | null;
  source: "upload" | "inbox";
  created_at: string;
}

export interface MediaPage {
  items: MediaItem[];
  next: string | null;
}
