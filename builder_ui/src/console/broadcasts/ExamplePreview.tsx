// The messages as one friend would see them: variables filled in with that friend's values by the preview route a
// message-sending plugin declares; without one (or before its answer), as written.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { request, workspaceUrl } from "../../api";
import { LinePreview } from "../../forms/LinePreview";
import { keyOfUrl, queryClient } from "../../query";
import type { Message } from "./types";

export function ExamplePreview({
  workspaceId,
  path,
  messages,
  friendId,
  accountName,
}: {
  workspaceId: number;
  path: string | null;
  messages: Message[];
  friendId: number | null;
  accountName: string;
}) {
  const url = workspaceUrl(workspaceId, path ?? "");
  const body = { messages, ...(friendId !== null ? { friend_id: friendId } : {}) };
  const query = useQuery(
    {
      queryKey: [...keyOfUrl(url), JSON.stringify(body)],
      queryFn: ({ signal }) => request<{ messages: Message[] }>("POST", url, body, undefined, signal),
      enabled: path !== null && messages.length > 0,
      placeholderData: keepPreviousData,
      retry: false,
      staleTime: 60_000,
    },
    queryClient,
  );
  const shown = path !== null && query.data && !query.isError ? query.data.messages : messages;
  return <LinePreview messages={shown} accountName={accountName} />;
}
