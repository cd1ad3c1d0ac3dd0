// Saved messages (定型文) put into a broadcast: any lookup whose rows carry LINE messages (`messages_field`) is
// offered; the one picked replaces the broadcast's messages, which are then checked and sent as any written here.
import { useQuery } from "@tanstack/react-query";
import { Select } from "antd";
import { useTranslation } from "react-i18next";
import { api, workspaceUrl } from "../../api";
import { queryKeys, queryClient } from "../../query";
import { useWorkspaceCatalog } from "../../platform/catalog";
import type { CatalogLookup } from "../../platform/contract";
import type { Message } from "./types";

export function savedMessageLookups(lookups: readonly CatalogLookup[]): CatalogLookup[] {
  return lookups.filter((l) => Boolean(l.messages_field));
}

/** A lookup's rows (a page's items when it is paged). */
function useRows(workspaceId: number, lookup: CatalogLookup) {
  return useQuery(
    {
      queryKey: [...queryKeys.lookup(workspaceId, lookup.name), lookup.path],
      queryFn: async ({ signal }) => {
        const data = await api.get<unknown>(workspaceUrl(workspaceId, lookup.path), signal);
        return ((lookup.paged ? (data as { items: unknown[] }).items : data) ?? []) as Record<string, unknown>[];
      },
    },
    queryClient,
  );
}

function SavedMessagePicker({ workspaceId, lookup, onPick }: { workspaceId: number; lookup: CatalogLookup; onPick: (messages: Message[]) => void }) {
  const { t } = useTranslation();
  const rows = useRows(workspaceId, lookup);
  const id = `broadcast-saved-messages-${lookup.name.replace(/\W/g, "-")}`;
  return (
    <div className="field saved-messages">
      <label htmlFor={id}>{t("broadcasts.compose.insert_saved")}</label>
      <Select
        id={id}
        showSearch
        optionFilterProp="label"
        value={null}
        placeholder={t("broadcasts.compose.insert_saved_hint")}
        loading={rows.isLoading}
        notFoundContent={t("broadcasts.compose.no_saved")}
        style={{ minWidth: 240 }}
        options={(rows.data ?? []).map((row) => ({ value: String(row[lookup.value_field]), label: String(row[lookup.label_field] ?? "") }))}
        onChange={(value: string) => {
          const row = (rows.data ?? []).find((r) => String(r[lookup.value_field]) === value);
          const messages = row?.[lookup.messages_field ?? ""];
          if (Array.isArray(messages) && messages.length) onPick(messages as Message[]);
        }}
      />
    </div>
  );
}

export function SavedMessages({ workspaceId, onPick }: { workspaceId: number; onPick: (messages: Message[]) => void }) {
  const { catalog } = useWorkspaceCatalog(workspaceId);
  const lookups = savedMessageLookups(catalog?.lookups ?? []);
  return (
    <>
      {lookups.map((l) => (
        <SavedMessagePicker key={l.name} workspaceId={workspaceId} lookup={l} onPick={onPick} />
      ))}
    </>
  );
}
