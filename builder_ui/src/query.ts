// Server state: one TanStack Query client for the whole console. It caches answers per key, drops an answer
// that arrives for a key no longer looked at (no screen hand-rolls "only the last answer counts"), retries what
// may pass on a second try (the network, a 5xx, 429) and never what will not (any other 4xx).
import { QueryClient, useQuery, type QueryKey } from "@tanstack/react-query";
import { api, ApiError } from "./api";

const MAX_RETRIES = 2;

/** Whether a failed read is worth another try: not when the server said no for a reason that stays. */
export function shouldRetry(failures: number, error: unknown): boolean {
  if (failures >= MAX_RETRIES) return false;
  if (error instanceof ApiError) return error.status >= 500 || error.status === 429 || error.status === 408;
  return true; // the network (fetch rejected) or a body that did not parse
}

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        retry: shouldRetry,
        // Staff switch tabs often: a screen shows what it read and reads again in the background.
        staleTime: 30_000,
        refetchOnWindowFocus: false,
      },
      mutations: { retry: false },
    },
  });
}

/** The console's client. Hooks name it explicitly, so components work the same with or without a provider
 * (tests render them bare; `src/test/setup.ts` clears it between tests). */
export const queryClient = makeQueryClient();

/** Keys, so what changes a thing can say which reads to refresh. Everything of a workspace is under
 * `["workspace", id]`: switching a plugin refreshes it all. */
export const queryKeys = {
  workspace: (workspaceId: number): QueryKey => ["workspace", workspaceId],
  catalog: (workspaceId: number): QueryKey => ["workspace", workspaceId, "catalog"],
  lookups: (workspaceId: number): QueryKey => ["workspace", workspaceId, "lookup"],
  lookup: (workspaceId: number, name: string): QueryKey => ["workspace", workspaceId, "lookup", name],
  segmentCount: (workspaceId: number, segment: unknown): QueryKey => ["workspace", workspaceId, "segment-count", segment],
  friendTabs: (workspaceId: number): QueryKey => ["workspace", workspaceId, "friend-tabs"],
  friendColumns: (workspaceId: number): QueryKey => ["workspace", workspaceId, "friend-columns"],
  friendSearch: (workspaceId: number, body: unknown): QueryKey => ["workspace", workspaceId, "friend-search", body],
};

/** The key of a plain GET: under its workspace when it is a workspace's (so that workspace's refresh reaches it). */
export function keyOfUrl(url: string): QueryKey {
  const workspace = url.match(/^\/api\/workspaces\/(\d+)(?=\/|$)/);
  return workspace ? [...queryKeys.workspace(Number(workspace[1])), "get", url] : ["get", url];
}

/** A GET through the cache: its answer (null while it loads or after it failed) and the failure's message. */
export function useApiGet<T>(url: string): { data: T | null; error: string | null } {
  const { data, error } = useQuery(
    { queryKey: keyOfUrl(url), queryFn: ({ signal }) => api.get<T>(url, signal) },
    queryClient,
  );
  return { data: data ?? null, error: error ? (error instanceof Error ? error.message : String(error)) : null };
}

/** The inbox's reads: its conversation lists (one per filter, all refreshed together when messages come) and
 * each friend's thread. */
export const inboxKeys = {
  conversations: (workspaceId: number): QueryKey => ["workspace", workspaceId, "inbox", "conversations"],
  conversationList: (workspaceId: number, url: string): QueryKey => ["workspace", workspaceId, "inbox", "conversations", url],
  thread: (workspaceId: number, friendId: number): QueryKey => ["workspace", workspaceId, "inbox", "thread", friendId],
};
