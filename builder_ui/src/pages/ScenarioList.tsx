import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { useNavigate } from "react-router";
import { api, ApiError, workspaceUrl } from "../api";
import type { Scenario, ScenarioDetail, WorkspaceAccess } from "../types";
import { problemText } from "../problems";

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
  const fileInput = useRef<HTMLInputElement>(null);

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
    try {
      const detail = await api.post<ScenarioDetail>(workspaceUrl(workspaceId, "/scenarios"), { name: name.trim() });
      open(detail.scenario.id);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
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

  return (
    <section className="page">
      <div className="page-head">
        <h1>{t("scenarios.title")}</h1>
        <form className="inline-form" onSubmit={create}>
          <label>
            <span className="visually-hidden">{t("scenarios.new_name")}</span>
            <input
              placeholder={t("scenarios.new_name")}
              aria-label={t("scenarios.new_name")}
              value={name}
              maxLength={200}
              onChange={(e) => setName(e.target.value)}
              required
            />
          </label>
          <button type="submit" className="primary">
            {t("scenarios.create")}
          </button>
          <button type="button" onClick={() => fileInput.current?.click()}>
            {t("scenarios.import")}
          </button>
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
      {error && (
        <p role="alert" className="error pre">
          {error}
        </p>
      )}
      {scenarios === null ? (
        <p>{t("common.loading")}</p>
      ) : scenarios.length === 0 ? (
        <p className="empty">{t("scenarios.none")}</p>
      ) : (
        <table className="list">
          <thead>
            <tr>
              <th>{t("scenarios.name")}</th>
              <th>{t("scenarios.status")}</th>
              <th>{t("scenarios.version")}</th>
              <th>{t("scenarios.live_runs")}</th>
              <th>{t("scenarios.updated")}</th>
            </tr>
          </thead>
          <tbody>
            {scenarios.map((s) => (
              <tr key={s.id}>
                <td>
                  <a
                    href={`/w/${workspaceId}/scenarios/${s.id}`}
                    onClick={(e) => {
                      e.preventDefault();
                      open(s.id);
                    }}
                  >
                    {s.name}
                  </a>
                  {s.folder && <span className="muted"> · {s.folder}</span>}
                </td>
                <td>
                  <span className={`badge status-${s.status}`}>{t(`status.${s.status}`)}</span>
                  {s.draft_changed && s.current_version && <span className="badge">{t("scenarios.draft_changed")}</span>}
                </td>
                <td>{s.current_version ? `v${s.current_version.number}` : "—"}</td>
                <td>{s.live_runs}</td>
                <td>{date(s.updated_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
