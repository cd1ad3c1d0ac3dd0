// Broadcasts saved without sending: open one to finish and send it, or delete it.
import { useQuery } from "@tanstack/react-query";
import { Button, Popconfirm, Table, type TableColumnsType } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { api, ApiError, workspaceUrl } from "../../api";
import { useNamedTable } from "../../components/tables";
import { keyOfUrl, queryClient } from "../../query";
import type { WorkspaceAccess } from "../../types";
import { sectionUrl } from "../sections";
import { formatTime } from "./BroadcastPage";
import type { Draft } from "./types";

export function Drafts({ access }: { access: WorkspaceAccess }) {
  const { t, i18n } = useTranslation();
  const ws = access.workspace.id;
  const url = workspaceUrl(ws, "/broadcasts/drafts");
  const drafts = useQuery({ queryKey: keyOfUrl(url), queryFn: ({ signal }) => api.get<Draft[]>(url, signal), staleTime: 0 }, queryClient);
  const [error, setError] = useState<string | null>(null);
  const components = useNamedTable(t("broadcasts.drafts.label"));
  const canEdit = access.permissions.includes("core.broadcast");

  const remove = async (draft: Draft) => {
    setError(null);
    try {
      await api.del(`${url}/${draft.id}`);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
    await queryClient.invalidateQueries({ queryKey: keyOfUrl(url) });
  };

  const rows = drafts.data ?? [];
  if (rows.length === 0 && !error) return null;
  const columns: TableColumnsType<Draft> = [
    {
      key: "name",
      title: t("broadcasts.list.name"),
      rowScope: "row",
      render: (_, d) => <Link to={sectionUrl(ws, "broadcasts", "drafts", d.id)}>{d.name || t("broadcasts.drafts.untitled")}</Link>,
    },
    { key: "updated", title: t("broadcasts.drafts.updated_at"), render: (_, d) => formatTime(d.updated_at, access.workspace.timezone, i18n.language) },
    {
      key: "actions",
      title: t("broadcasts.drafts.actions"),
      render: (_, d) =>
        canEdit && (
          <Popconfirm
            title={t("broadcasts.drafts.confirm_delete", { name: d.name || t("broadcasts.drafts.untitled") })}
            okText={t("broadcasts.drafts.delete")}
            cancelText={t("broadcasts.confirm.back")}
            onConfirm={() => remove(d)}
          >
            <Button size="small" danger>
              {t("broadcasts.drafts.delete")}
            </Button>
          </Popconfirm>
        ),
    },
  ];
  return (
    <section className="broadcast-drafts" aria-label={t("broadcasts.drafts.label")}>
      <h2>{t("broadcasts.drafts.label")}</h2>
      {error && <p className="error">{error}</p>}
      <Table<Draft> rowKey="id" columns={columns} dataSource={rows} pagination={false} size="small" components={components} />
    </section>
  );
}
