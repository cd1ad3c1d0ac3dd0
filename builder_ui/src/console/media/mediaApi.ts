// Reading, uploading and deleting the workspace's media (画像・動画).
import { useInfiniteQuery } from "@tanstack/react-query";
import { ApiError, api, csrfHeaders, workspaceUrl } from "../../api";
import { queryClient, queryKeys } from "../../query";
import type { MediaItem, MediaPage } from "./types";

export const mediaKey = (workspaceId: number, kind?: MediaItem["kind"]) => [
  ...queryKeys.workspace(workspaceId),
  "media",
  kind ?? "all",
];

export function useMedia(workspaceId: number, kind?: MediaItem["kind"]) {
  const base = workspaceUrl(workspaceId, `/media?limit=60${kind ? `&kind=${kind}` : ""}`);
  return useInfiniteQuery(
    {
      queryKey: mediaKey(workspaceId, kind),
      queryFn: ({ pageParam, signal }) =>
        api.get<MediaPage>(pageParam ? `${base}&after=${encodeURIComponent(pageParam)}` : base, signal),
      initialPageParam: null as string | null,
      getNextPageParam: (last: MediaPage) => last.next ?? undefined,
    },
    queryClient,
  );
}

/** Every list of this workspace's media read again (after an upload or a deletion). */
export function refreshMedia(workspaceId: number): Promise<void> {
  return queryClient.invalidateQueries({ queryKey: [...queryKeys.workspace(workspaceId), "media"] });
}

/** Uploads one file (multipart part "file"); a refused file throws the server's ApiError with its message. */
export async function uploadMedia(workspaceId: number, file: File): Promise<MediaItem> {
  const body = new FormData();
  body.append("file", file, file.name);
  const response = await fetch(workspaceUrl(workspaceId, "/media"), {
    method: "POST",
    body,
    credentials: "same-origin",
    headers: { Accept: "application/json", ...csrfHeaders() },
  });
  const data = (await response.json().catch(() => null)) as unknown;
  if (!response.ok) {
    const d = (data ?? {}) as { error?: string; message?: string; errors?: ApiError["errors"] };
    throw new ApiError(response.status, d.error ?? "error", d.message ?? response.statusText, d.errors ?? []);
  }
  await refreshMedia(workspaceId);
  return data as MediaItem;
}

export async function deleteMedia(workspaceId: number, id: number): Promise<void> {
  await api.del(workspaceUrl(workspaceId, `/media/${id}`));
  await refreshMedia(workspaceId);
}
