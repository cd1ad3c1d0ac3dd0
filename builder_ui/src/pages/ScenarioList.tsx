import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { Alert, Button, Empty, Input, Table, Tag, type TableColumnsType } from "antd";
import { Link, useNavigate } from "react-router";
import { api, ApiError, workspaceUrl } from "../api";
import type { Scenario, ScenarioDetail, WorkspaceAccess } from "../types";
import { problemText } from "../problems";
import { ScenarioStatusTag } from "../components/ScenarioStatus";
import { useNamedTable } from "../components/tables";

interface Page<T> {
  items: T[];
  next: string | null;
}

export function ScenarioList({ access }: { access: WorkspaceAccess }) {
  const { t, i18n } = useTranslation();
  const workspaceId = access.workspace.id;
  const [scenarios, setScenarios] = useState<Scenario[] | null>(null);
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const components = useNamedTable(t("scenarios.title"));

  const load = useCallback(async () => {
    const all: Scenario[] = [];
    let after: string | null = null;
    do {
      const query: string = after ? `?limit=200&after=${encodeURIComponent(after)}` : "?limit=200";
      const page: Page<Scenario> = await api.get<Page<Scenario>>(workspaceUrl(workspaceId, `/scenarios${query}`));
      all.push(...page.items);
      after = page.next;
    } while (after);
    setScenarios(all);
  }, [workspaceId]);

  useEffect(() => {
    setScenarios(null);
    load().catch((e) => setError(String(e)));
  }, [load]);

  const navigate = useNavigate();
  const open = (id: number) => navigate(`/w/${workspaceId}/scenarios/${id}`);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setCreating(true);
    try {
      const detail = await api.post<ScenarioDetail>(workspaceUrl(workspaceId, "/scenarios"), { name: name.trim() });
      open(detail.scenario.id);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
      setCreating(false);
    }
  };

  const importFile = async (file: File) => {
    setError(null);
    try {
      const data = JSON.parse(await file.text());
      const result = await api.post<{ scenario: Scenario }>(workspaceUrl(workspaceId, "/scenarios/import"), data);
      open(result.scenario.id);
    } catch (e) {
      setError(
        e instanceof ApiError
          ? [e.message, ...e.errors.map((x) => problemText(x))].join("\n")
          : t("scenarios.import_failed"),
      );
    }
  };

  const date = (iso: string) => new Date(iso).toLocaleString(i18n.language === "en" ? "en-GB" : "ja-JP");

  const columns: TableColumnsType<Scenario> = [
    {
      key: "name",
      title: t("scenarios.name"),
      rowScope: "row",
      render: (_, s) => (
        <>
          <Link to={`/w/${workspaceId}/scenarios/${s.id}`}>{s.name}</Link>
          {s.folder && <span className="muted"> · {s.folder}</span>}
        </>
      ),
    },
    {
      key: "status",
      title: t("scenarios.status"),
      render: (_, s) => (
        <>
          <ScenarioStatusTag status={s.status} />
          {s.draft_changed && s.current_version && <Tag>{t("scenarios.draft_changed")}</Tag>}
        </>
      ),
    },
    { key: "version", title: t("scenarios.version"), render: (_, s) => (s.current_version ? `v${s.current_version.number}` : "—") },
    { key: "live_runs", title: t("scenarios.live_runs"), dataIndex: "live_runs" },
    { key: "updated", title: t("scenarios.updated"), render: (_, s) => date(s.updated_at) },
  ];

  return (
    <section className="page">
      <div className="page-head">
        <h1>{t("scenarios.title")}</h1>
        <form className="inline-form" onSubmit={create}>
          <Input
            className="new-scenario-name"
            placeholder={t("scenarios.new_name")}
            aria-label={t("scenarios.new_name")}
            value={name}
            maxLength={200}
            onChange={(e) => setName(e.target.value)}
            required
          />
          <Button type="primary" htmlType="submit" loading={creating}>
            {t("scenarios.create")}
          </Button>
          <Button onClick={() => fileInput.current?.click()}>{t("scenarios.import")}</Button>
          <input
            ref={fileInput}
            type="file"
            accept="application/json,.json"
            hidden
            aria-label={t("scenarios.import_file")}
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (file) void importFile(file);
              e.target.value = "";
            }}
          />
        </form>
      </div>
      {error && <Alert type="error" showIcon className="pre" message={error} />}
      {scenarios === null ? (
        <p className="loading">{t("common.loading")}</p>
      ) : scenarios.length === 0 ? (
        <Empty description={t("scenarios.none")} />
      ) : (
        <Table<Scenario>
          rowKey="id"
          columns={columns}
          dataSource={scenarios}
          pagination={false}
          size="small"
          components={components}
        />
      )}
    </section>
  );
}
