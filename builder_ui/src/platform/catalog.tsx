// The workspace's catalog (what its enabled plugins bring: node types, reports, lookups, resources and UI
// modules), read once per workspace and again whenever its plugins change; every console screen reads it here.
import { useQuery } from "@tanstack/react-query";
import { createContext, useContext, type ReactNode } from "react";
import { api, workspaceUrl } from "../api";
import { queryClient, queryKeys } from "../query";
import type { Catalog } from "../types";
import type { PlatformCatalog } from "./contract";

export type WorkspaceCatalog = Catalog & PlatformCatalog;

const EMPTY: PlatformCatalog = { lookups: [], resources: [], ui_modules: [], line_login_callbacks: [] };

const CatalogContext = createContext<WorkspaceCatalog | null>(null);

function catalogQuery(workspaceId: number) {
  return {
    queryKey: queryKeys.catalog(workspaceId),
    queryFn: async ({ signal }: { signal: AbortSignal }): Promise<WorkspaceCatalog> => {
      const c = await api.get<Catalog & Partial<PlatformCatalog>>(workspaceUrl(workspaceId, "/catalog"), signal);
      return { ...EMPTY, ...c };
    },
    staleTime: Infinity, // it changes only when plugins are switched, and that refreshes it (App's reloadAccess)
  };
}

/** A workspace's catalog from the console's one cache (read once, shared by every screen, provider or not). */
export function useWorkspaceCatalog(workspaceId: number): { catalog: WorkspaceCatalog | null; failed: boolean } {
  const { data, isError } = useQuery(catalogQuery(workspaceId), queryClient);
  return { catalog: data ?? null, failed: isError };
}

/** Gives the screens below the catalog of `workspaceId` (read again when its plugins are switched: that
 * refreshes everything read for the workspace, see App's `reloadAccess`). */
export function CatalogProvider(props: { workspaceId: number; children: ReactNode }) {
  const { catalog } = useWorkspaceCatalog(props.workspaceId);
  return <CatalogContext.Provider value={catalog}>{props.children}</CatalogContext.Provider>;
}

/** The catalog of the workspace being looked at, or null while it loads (or outside a workspace). */
export function useCatalog(): WorkspaceCatalog | null {
  return useContext(CatalogContext);
}
