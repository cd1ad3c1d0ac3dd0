import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { Alert, AutoComplete, Button, Empty, Input, Modal, Select, Space, Table, Tag, type TableColumnsType } from "antd";
import { Link, useNavigate } from "react-router";
import { api, ApiError, workspaceUrl } from "../api";
import type { Scenario, ScenarioDetail, WorkspaceAccess } from "../types";
import { problemText } from "../problems";
import { ScenarioStatusTag } from "../components/ScenarioStatus";
import { useNamedTable } from "../components/tables";

/** What the folder dialog does: move a scenario into a folder (a new name makes the folder), or rename one. */
type FolderDialog =
  | { kind: "move"; scenario: Scenario; value: string }
  | { kind: "rename"; folder: string; value: string }
  | { kind: "create"; value: string; ids: number[] };

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
  const [dialog, setDialog] = useState<FolderDialog | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const canWrite = access.permissions.includes("core.write");
  // Confirmations drawn inside the console (its theme and language), not beside it.
  const [modal, modalHolder] = Modal.useModal();
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

  const run = async (work: () => Promise<unknown>, done: string) => {
    setError(null);
    setNotice(null);
    try {
      await work();
      setNotice(done);
      await load();
    } catch (e) {
      setError(e instanceof ApiError ? [e.message, ...e.errors.map((x) => problemText(x))].join("\n") : String(e));
    }
  };

  const copy = (s: Scenario) =>
    run(() => api.post(workspaceUrl(workspaceId, `/scenarios/${s.id}/copy`), {}), t("scenario_list.copied", { name: s.name }));

  const remove = (s: Scenario) =>
    modal.confirm({
      title: t("scenario_list.delete_confirm", { name: s.name }),
      content: s.live_runs > 0 ? t("scenario_list.delete_stops", { count: s.live_runs }) : t("scenario_list.delete_nobody"),
      okText: t("scenario_list.delete"),
      okButtonProps: { danger: true },
      cancelText: t("common.cancel"),
      onOk: () =>
        run(
          () => api.del(workspaceUrl(workspaceId, `/scenarios/${s.id}${s.live_runs > 0 ? "?stop_runs=true" : ""}`)),
          t("scenario_list.deleted", { name: s.name }),
        ),
    });

  const removeFolder = (folder: string, count: number) =>
    modal.confirm({
      title: t("scenario_list.folder_delete_confirm", { folder }),
      content: t("scenario_list.folder_delete_explain", { count }),
      okText: t("scenario_list.folder_delete"),
      okButtonProps: { danger: true },
      cancelText: t("common.cancel"),
      onOk: () =>
        run(
          () => api.post(workspaceUrl(workspaceId, "/scenarios/folders/rename"), { folder, to: null }),
          t("scenario_list.folder_deleted", { folder }),
        ),
    });

  const applyDialog = async () => {
    if (!dialog) return;
    const value = dialog.value.trim();
    if (dialog.kind === "move") {
      const s = dialog.scenario;
      await run(
        () => api.patch(workspaceUrl(workspaceId, `/scenarios/${s.id}`), { folder: value || null }),
        value ? t("scenario_list.moved", { name: s.name, folder: value }) : t("scenario_list.moved_out", { name: s.name }),
      );
    } else if (dialog.kind === "create") {
      if (!value || !dialog.ids.length) return;
      const ids = dialog.ids;
      await run(
        () => api.post(workspaceUrl(workspaceId, "/scenarios/folders/move"), { scenario_ids: ids, folder: value }),
        t("scenario_list.folder_created", { folder: value, count: ids.length }),
      );
    } else if (value) {
      const from = dialog.folder;
      await run(
        () => api.post(workspaceUrl(workspaceId, "/scenarios/folders/rename"), { folder: from, to: value }),
        t("scenario_list.folder_renamed", { folder: value }),
      );
    }
    setDialog(null);
  };

  const date = (iso: string) => new Date(iso).toLocaleString(i18n.language === "en" ? "en-GB" : "ja-JP");

  const columns: TableColumnsType<Scenario> = [
    {
      key: "name",
      title: t("scenarios.name"),
      rowScope: "row",
      render: (_, s) => <Link to={`/w/${workspaceId}/scenarios/${s.id}`}>{s.name}</Link>,
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
  if (canWrite)
    columns.push({
      key: "actions",
      title: t("scenario_list.actions"),
      render: (_, s) => (
        <Space size="small" wrap>
          <Button size="small" aria-label={t("scenario_list.copy_named", { name: s.name })} onClick={() => void copy(s)}>
            {t("scenario_list.copy")}
          </Button>
          <Button
            size="small"
            aria-label={t("scenario_list.move_named", { name: s.name })}
            onClick={() => setDialog({ kind: "move", scenario: s, value: s.folder ?? "" })}
          >
            {t("scenario_list.move")}
          </Button>
          <Button size="small" danger aria-label={t("scenario_list.delete_named", { name: s.name })} onClick={() => remove(s)}>
            {t("scenario_list.delete")}
          </Button>
        </Space>
      ),
    });

  // Folders in name order, then the scenarios in none.
  const folders = [...new Set((scenarios ?? []).map((s) => s.folder).filter((f): f is string => !!f))].sort((a, b) =>
    a.localeCompare(b, "ja"),
  );
  const groups: { folder: string | null; items: Scenario[] }[] = [
    ...folders.map((f) => ({ folder: f as string | null, items: (scenarios ?? []).filter((s) => s.folder === f) })),
    { folder: null, items: (scenarios ?? []).filter((s) => !s.folder) },
  ].filter((g) => g.items.length > 0);

  return (
    <section className="page">
      {modalHolder}
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
          {canWrite && (scenarios?.length ?? 0) > 0 && (
            <Button onClick={() => setDialog({ kind: "create", value: "", ids: [] })}>{t("scenario_list.folder_create")}</Button>
          )}
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
      {notice && <Alert type="success" showIcon role="status" message={notice} closable={{ "aria-label": t("common.close") }} onClose={() => setNotice(null)} />}
      {scenarios === null ? (
        <p className="loading">{t("common.loading")}</p>
      ) : scenarios.length === 0 ? (
        <Empty description={t("scenarios.none")} />
      ) : (
        groups.map((g) => (
          <section key={g.folder ?? ""} className="scenario-folder" aria-label={g.folder ?? t("scenario_list.no_folder")}>
            <div className="row">
              <h2>{g.folder ?? (folders.length ? t("scenario_list.no_folder") : "")}</h2>
              {g.folder && canWrite && (
                <>
                  <Button
                    size="small"
                    aria-label={t("scenario_list.folder_rename_named", { folder: g.folder })}
                    onClick={() => setDialog({ kind: "rename", folder: g.folder as string, value: g.folder as string })}
                  >
                    {t("scenario_list.folder_rename")}
                  </Button>
                  <Button
                    size="small"
                    danger
                    aria-label={t("scenario_list.folder_delete_named", { folder: g.folder })}
                    onClick={() => removeFolder(g.folder as string, g.items.length)}
                  >
                    {t("scenario_list.folder_delete")}
                  </Button>
                </>
              )}
            </div>
            <Table<Scenario>
              rowKey="id"
              columns={columns}
              dataSource={g.items}
              pagination={false}
              size="small"
              components={components}
            />
          </section>
        ))
      )}
      <Modal
        open={dialog !== null}
        title={
          dialog?.kind === "move"
            ? t("scenario_list.move_title", { name: dialog.scenario.name })
            : dialog?.kind === "create"
              ? t("scenario_list.folder_create")
              : t("scenario_list.folder_rename_title", { folder: dialog?.kind === "rename" ? dialog.folder : "" })
        }
        okText={
          dialog?.kind === "move"
            ? t("scenario_list.move")
            : dialog?.kind === "create"
              ? t("scenario_list.folder_create")
              : t("scenario_list.folder_rename")
        }
        okButtonProps={{ disabled: dialog?.kind === "create" && (!dialog.value.trim() || !dialog.ids.length) }}
        cancelText={t("common.cancel")}
        onOk={() => void applyDialog()}
        onCancel={() => setDialog(null)}
        destroyOnHidden
      >
        <label className="field">
          <span>{dialog?.kind === "move" ? t("scenario_list.folder_name_or_new") : t("scenario_list.folder_new_name")}</span>
          <AutoComplete
            aria-label={dialog?.kind === "move" ? t("scenario_list.folder_name_or_new") : t("scenario_list.folder_new_name")}
            value={dialog?.value ?? ""}
            maxLength={100}
            options={dialog?.kind === "move" ? folders.map((f) => ({ value: f })) : []}
            onChange={(value: string) => setDialog((d) => (d ? { ...d, value } : d))}
          />
        </label>
        {dialog?.kind === "move" && <p className="muted small">{t("scenario_list.folder_empty_means_none")}</p>}
        {dialog?.kind === "create" && (
          <label className="field">
            <span>{t("scenario_list.folder_scenarios")}</span>
            <Select
              mode="multiple"
              aria-label={t("scenario_list.folder_scenarios")}
              virtual={false}
              optionFilterProp="label"
              value={dialog.ids}
              onChange={(ids: number[]) => setDialog((d) => (d && d.kind === "create" ? { ...d, ids } : d))}
              options={(scenarios ?? []).map((s) => ({ value: s.id, label: s.name }))}
            />
          </label>
        )}
      </Modal>
    </section>
  );
}
