// The reply box's extras: a sticker from LINE's free standard sets, and saved messages (定型文) from any lookup a
// plugin marks as sendable to a friend (send_path), sent for the friend the talk is open on.
import { useQuery } from "@tanstack/react-query";
import { Button, Popover, Select, Space } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { api, workspaceUrl } from "../../api";
import { toOption } from "../../forms/pickers";
import { useWorkspaceCatalog } from "../../platform/catalog";
import type { CatalogLookup } from "../../platform/contract";
import { queryClient, queryKeys } from "../../query";

export interface Sticker {
  packageId: string;
  stickerId: string;
}

// LINE's standard stickers any account may send (developers.line.biz "List of available stickers"): a dozen of
// each of three sets.
const SETS: [string, number][] = [
  ["11537", 52002734],
  ["11538", 51626494],
  ["446", 1988],
];
export const STICKERS: Sticker[] = SETS.flatMap(([packageId, first]) =>
  Array.from({ length: 12 }, (_, i) => ({ packageId, stickerId: String(first + i) })),
);

export const stickerImage = (stickerId: string) =>
  `https://stickershop.line-scdn.net/stickershop/v1/sticker/${encodeURIComponent(stickerId)}/android/sticker.png`;

export function StickerPicker(props: { onPick: (s: Sticker) => void; disabled?: boolean }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  return (
    <Popover
      open={open}
      onOpenChange={setOpen}
      trigger="click"
      title={t("inbox.tools.stickers")}
      content={
        <ul className="sticker-grid" aria-label={t("inbox.tools.stickers")}>
          {STICKERS.map((s, i) => (
            <li key={s.stickerId}>
              <button
                type="button"
                aria-label={t("inbox.tools.sticker_n", { n: i + 1 })}
                onClick={() => {
                  setOpen(false);
                  props.onPick(s);
                }}
              >
                <img src={stickerImage(s.stickerId)} alt="" loading="lazy" />
              </button>
            </li>
          ))}
        </ul>
      }
    >
      <Button disabled={props.disabled}>{t("inbox.tools.sticker")}</Button>
    </Popover>
  );
}

/** The lookups whose rows can be sent to a friend (定型文). */
export function sendableLookups(lookups: readonly CatalogLookup[]): CatalogLookup[] {
  return lookups.filter((l) => l.send_path && l.send_field);
}

export function SavedMessageSender(props: {
  workspaceId: number;
  disabled?: boolean;
  onSend: (lookup: CatalogLookup, value: string | number) => Promise<boolean>;
}) {
  const { workspaceId, onSend, disabled } = props;
  const { catalog } = useWorkspaceCatalog(workspaceId);
  const lookups = sendableLookups(catalog?.lookups ?? []);
  if (!lookups.length) return null;
  return (
    <>
      {lookups.map((lookup) => (
        <SavedMessagePopover key={lookup.name} workspaceId={workspaceId} lookup={lookup} disabled={disabled} onSend={onSend} />
      ))}
    </>
  );
}

function SavedMessagePopover(props: {
  workspaceId: number;
  lookup: CatalogLookup;
  disabled?: boolean;
  onSend: (lookup: CatalogLookup, value: string | number) => Promise<boolean>;
}) {
  const { workspaceId, lookup, disabled, onSend } = props;
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const [chosen, setChosen] = useState<string | number | null>(null);
  const [busy, setBusy] = useState(false);
  // Lookups carry no title for people: what the reply box sends this way is saved messages (定型文).
  const label = t("inbox.tools.templates");
  const options = useQuery(
    {
      queryKey: [...queryKeys.lookup(workspaceId, lookup.name), lookup.path],
      queryFn: async ({ signal }) => {
        const data = await api.get<unknown>(workspaceUrl(workspaceId, lookup.path), signal);
        const rows = (lookup.paged ? (data as { items: unknown[] }).items : data) as Record<string, unknown>[];
        return rows.map((row) => toOption(lookup, row));
      },
      enabled: open,
    },
    queryClient,
  );
  return (
    <Popover
      open={open}
      onOpenChange={setOpen}
      trigger="click"
      title={t("inbox.tools.send_saved", { what: label })}
      content={
        <Space direction="vertical">
          <Select
            aria-label={label}
            showSearch
            optionFilterProp="label"
            style={{ width: 260 }}
            loading={options.isPending}
            placeholder={t("inbox.tools.choose", { what: label })}
            value={chosen ?? undefined}
            onChange={(v: string | number) => setChosen(v)}
            options={(options.data ?? []).map((o) => ({ value: o.value, label: o.label }))}
            notFoundContent={t("inbox.tools.none", { what: label })}
          />
          <Button
            type="primary"
            disabled={chosen === null}
            loading={busy}
            onClick={() => {
              if (chosen === null) return;
              setBusy(true);
              void onSend(lookup, chosen).then((sent) => {
                setBusy(false);
                if (sent) {
                  setOpen(false);
                  setChosen(null);
                }
              });
            }}
          >
            {t("inbox.tools.send_this")}
          </Button>
        </Space>
      }
    >
      <Button disabled={disabled}>{label}</Button>
    </Popover>
  );
}
