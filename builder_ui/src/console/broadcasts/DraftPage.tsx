// A draft opened again (…/broadcasts/drafts/{id}): the composer with what was saved, to finish and send.
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { api, workspaceUrl } from "../../api";
import { keyOfUrl, queryClient } from "../../query";
import type { WorkspaceAccess } from "../../types";
import { BroadcastComposer } from "./BroadcastComposer";
import type { Draft } from "./types";

export function DraftPage({ access, draftId }: { access: WorkspaceAccess; draftId: number }) {
  const { t } = useTranslation();
  const url = workspaceUrl(access.workspace.id, `/broadcasts/drafts/${draftId}`);
  // Read once: what is typed afterwards is the form's, not replaced by a later read.
  const query = useQuery({ queryKey: keyOfUrl(url), queryFn: ({ signal }) => api.get<Draft>(url, signal), staleTime: Infinity }, queryClient);
  if (query.error) return <p className="page error">{t("common.failed", { message: query.error instanceof Error ? query.error.message : String(query.error) })}</p>;
  if (!query.data) return <p className="page muted">{t("common.loading")}</p>;
  return <BroadcastComposer access={access} draft={query.data} />;
}
