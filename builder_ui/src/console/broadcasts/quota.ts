// Staff ask LINE's quota again (after buying messages, changing LINE's plan, lifting a hold): a job fetches it at
// once, and the estimates on screen are read again as the new numbers come.
import { api, workspaceUrl } from "../../api";
import { keyOfUrl, queryClient } from "../../query";

const SECOND_LOOK_MS = 2000;

export async function refreshQuota(workspaceId: number): Promise<void> {
  await api.post(workspaceUrl(workspaceId, "/broadcasts/quota/refresh"));
  const estimates = keyOfUrl(workspaceUrl(workspaceId, "/broadcasts/estimate"));
  await queryClient.invalidateQueries({ queryKey: estimates });
  setTimeout(() => void queryClient.invalidateQueries({ queryKey: estimates }), SECOND_LOOK_MS);
}
