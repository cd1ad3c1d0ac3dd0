// Someone picked from a list by name: a following friend (a staff member's own LINE account is one of them) or,
// in the demo, a simulated user of the LINE emulator. Used for test sends and for the preview's example friend.
import { useQuery } from "@tanstack/react-query";
import { Select, Tag } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { api, workspaceUrl } from "../../api";
import { keyOfUrl, queryClient } from "../../query";
import { useSettled } from "../../useSettled";
import type { TestRecipient } from "./types";

const SEARCH_DELAY_MS = 300;

export function useTestRecipients(workspaceId: number, search: string) {
  const asked = useSettled(search.trim(), SEARCH_DELAY_MS);
  const url = workspaceUrl(workspaceId, `/broadcasts/test-recipients${asked ? `?q=${encodeURIComponent(asked)}` : ""}`);
  return useQuery({ queryKey: keyOfUrl(url), queryFn: ({ signal }) => api.get<TestRecipient[]>(url, signal), staleTime: 30_000 }, queryClient);
}

export function keyOf(r: TestRecipient): string {
  return r.friend_id !== null ? `friend:${r.friend_id}` : `user:${r.user_line_id}`;
}

export function RecipientPicker({
  workspaceId,
  value,
  onChange,
  id,
  placeholder,
}: {
  workspaceId: number;
  value: TestRecipient | null;
  onChange: (picked: TestRecipient | null) => void;
  id?: string;
  placeholder?: string;
}) {
  const { t } = useTranslation();
  const [search, setSearch] = useState("");
  const listed = useTestRecipients(workspaceId, search);
  const rows = listed.data ?? [];
  // The one picked stays an option while the search shows others.
  const options = [...(value && !rows.some((r) => keyOf(r) === keyOf(value)) ? [value] : []), ...rows];
  return (
    <Select
      id={id}
      showSearch
      allowClear
      filterOption={false}
      onSearch={setSearch}
      loading={listed.isFetching}
      placeholder={placeholder ?? t("broadcasts.compose.pick_person")}
      notFoundContent={listed.isFetching ? t("common.loading") : t("broadcasts.compose.nobody_found")}
      value={value ? keyOf(value) : undefined}
      onChange={(key: string | undefined) => onChange(options.find((r) => keyOf(r) === key) ?? null)}
      style={{ minWidth: 220 }}
      options={options.map((r) => ({
        value: keyOf(r),
        label: (
          <span>
            {r.name || t("broadcasts.compose.no_name")}
            {r.simulated && (
              <Tag className="simulated-tag" bordered={false}>
                {t("broadcasts.compose.simulated")}
              </Tag>
            )}
          </span>
        ),
      }))}
    />
  );
}
