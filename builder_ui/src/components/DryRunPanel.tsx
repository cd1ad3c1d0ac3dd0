// Dry run: a real friend or a described one (with any of the actions that change a friend's data done first:
// tags, marks, fields … whatever the workspace's plugins offer); the path comes back with the time of each step
// and is highlighted on the canvas.
import { Alert, Button, Checkbox, Input, Radio, Select } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { api, ApiError, workspaceUrl } from "../api";
import { defaultConfig } from "../editor/defaults";
import { ConfigForm } from "../forms/ConfigForm";
import { NodeSummary } from "../graph/NodeSummary";
import type { FlowNode } from "../graph/document";
import { localized } from "../i18n";
import { useApiGet } from "../query";
import type { DryRunResult, NodeTypeDef } from "../types";
import { problemText } from "../problems";
import { FormItem } from "./FormItem";
import { DateTimeField } from "./TimeFields";

/** An action done to the described friend before the run. */
interface SetupAction {
  id: number;
  type: NodeTypeDef;
  config: Record<string, unknown>;
}

const NO_FRIENDS: Friend[] = [];
const NO_ACTIONS: NodeTypeDef[] = [];

interface Friend {
  id: number;
  display_name: string;
  status: string;
}

export function DryRunPanel({
  workspaceId,
  scenarioId,
  nodes,
  types,
  timezone,
  beforeRun,
  result,
  onResult,
  onFocusNode,
}: {
  workspaceId: number;
  scenarioId: number;
  nodes: FlowNode[];
  types: Map<string, NodeTypeDef>;
  timezone: string;
  beforeRun: () => Promise<boolean>;
  result: DryRunResult | null;
  onResult: (r: DryRunResult | null) => void;
  onFocusNode: (id: string) => void;
}) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const [mode, setMode] = useState<"friend" | "described">("described");
  const [friendId, setFriendId] = useState("");
  const [name, setName] = useState(t("dry.sample_name"));
  const [setup, setSetup] = useState<SetupAction[]>([]);
  const [startAt, setStartAt] = useState("");
  const [events, setEvents] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const friends = useApiGet<{ items: Friend[] }>(workspaceUrl(workspaceId, "/friends?limit=200")).data?.items ?? NO_FRIENDS;
  // The actions that change a friend's data (those offered for bulk operations on friends).
  const offered = useApiGet<NodeTypeDef[]>(workspaceUrl(workspaceId, "/bulk-operations/actions")).data ?? NO_ACTIONS;
  const addSetup = (key: string) => {
    const type = offered.find((a) => a.key === key);
    if (type) setSetup((s) => [...s, { id: (s[s.length - 1]?.id ?? 0) + 1, type, config: defaultConfig(type) }]);
  };

  const waitsForEvents = nodes.filter((n) => n.data.typeKey === "core.wait_for_event");

  const run = async () => {
    setError(null);
    setBusy(true);
    try {
      if (!(await beforeRun())) {
        setError(t("dry.fix_first"));
        return;
      }
      const body: Record<string, unknown> = { source: "draft", events };
      if (mode === "friend") {
        if (!friendId) {
          setError(t("dry.pick_friend"));
          return;
        }
        body.friend_id = Number(friendId);
      } else {
        body.friend = {
          display_name: name || t("dry.sample_name"),
          setup: setup.map((s) => ({ type: s.type.key, type_version: s.type.version, config: s.config })),
        };
      }
      if (startAt) body.start_at = new Date(startAt).toISOString();
      onResult(await api.post<DryRunResult>(workspaceUrl(workspaceId, `/scenarios/${scenarioId}/dry-run`), body));
    } catch (e) {
      onResult(null);
      setError(e instanceof ApiError ? [e.message, ...e.errors.map((x) => problemText(x))].join("\n") : String(e));
    } finally {
      setBusy(false);
    }
  };

  const when = (iso: string) =>
    new Date(iso).toLocaleString(lang === "en" ? "en-GB" : "ja-JP", {
      timeZone: timezone,
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
    });

  return (
    <section className="dry-run" aria-label={t("dry.title")}>
      <h2>{t("dry.title")}</h2>
      <p className="muted small">{t("dry.explain")}</p>
      <fieldset>
        <legend>{t("dry.who")}</legend>
        <Radio.Group name="dry-mode" value={mode} onChange={(e) => setMode(e.target.value as "friend" | "described")}>
          <Radio value="described">{t("dry.described")}</Radio>
          <Radio value="friend">{t("dry.real_friend")}</Radio>
        </Radio.Group>
      </fieldset>
      {mode === "friend" ? (
        <FormItem id="dry-friend" label={t("dry.friend")}>
          <Select
            id="dry-friend"
            // Every option drawn (not only those scrolled to): the list is short, and each is found by its name.
            virtual={false}
            showSearch
            optionFilterProp="label"
            placeholder={t("picker.choose")}
            value={friendId || undefined}
            onChange={(id: string) => setFriendId(id)}
            options={friends.map((f) => ({
              value: String(f.id),
              label: `${f.display_name}${f.status === "blocked" ? ` ${t("dry.blocked")}` : ""}`,
            }))}
          />
        </FormItem>
      ) : (
        <>
          <FormItem id="dry-name" label={t("dry.name")}>
            <Input id="dry-name" value={name} maxLength={200} onChange={(e) => setName(e.target.value)} />
          </FormItem>
          {offered.length > 0 && (
            <fieldset className="dry-setup">
              <legend>{t("dry.setup")}</legend>
              {setup.map((s, i) => {
                const label = localized(s.type.label, lang);
                return (
                  <div key={s.id} className="dry-setup-action" role="group" aria-label={t("dry.setup_nth", { n: i + 1, label })}>
                    <div className="row">
                      <strong>{label}</strong>
                      <span className="spacer" />
                      <Button
                        size="small"
                        aria-label={t("dry.remove_setup", { n: i + 1, label })}
                        onClick={() => setSetup((all) => all.filter((x) => x.id !== s.id))}
                      >
                        {t("dry.remove")}
                      </Button>
                    </div>
                    <ConfigForm
                      nodeType={s.type}
                      config={s.config}
                      onChange={(config) => setSetup((all) => all.map((x) => (x.id === s.id ? { ...x, config } : x)))}
                      idPrefix={`dry-setup-${s.id}`}
                    />
                  </div>
                );
              })}
              <FormItem id="dry-add-setup" label={t("dry.add_setup")}>
                <Select
                  id="dry-add-setup"
                  virtual={false}
                  placeholder={t("picker.choose")}
                  value={null}
                  onChange={(key: string) => addSetup(key)}
                  options={offered.map((a) => ({ value: a.key, label: localized(a.label, lang) }))}
                />
              </FormItem>
            </fieldset>
          )}
        </>
      )}
      <div className="field">
        <span>{t("dry.start_at")}</span>
        <DateTimeField label={t("dry.start_at")} value={startAt} onChange={setStartAt} />
      </div>
      {waitsForEvents.length > 0 && (
        <div className="field" role="group" aria-label={t("dry.events")}>
          {t("dry.events")}
          {waitsForEvents.map((n) => (
            <Checkbox
              key={n.id}
              checked={events.includes(n.id)}
              onChange={() => setEvents((ev) => (ev.includes(n.id) ? ev.filter((x) => x !== n.id) : [...ev, n.id]))}
            >
              {n.data.label || localized(types.get(n.data.typeKey)?.label, lang)}
            </Checkbox>
          ))}
        </div>
      )}
      <div className="panel-actions">
        <Button type="primary" onClick={run} loading={busy}>
          {t("dry.run")}
        </Button>
        {result && <Button onClick={() => onResult(null)}>{t("dry.clear")}</Button>}
      </div>
      {error && <Alert type="error" showIcon className="pre" message={error} />}
      {result && (
        <div className="dry-result">
          <p>
            {t("dry.outcome")}: <strong>{t(`dry.outcomes.${result.outcome}`, { defaultValue: t("dry.outcomes.other") })}</strong>
          </p>
          <ol className="dry-steps" aria-label={t("dry.path")}>
            {result.steps.map((s, i) => {
              const node = nodes.find((n) => n.id === s.node_id);
              const type = types.get(s.node_type);
              return (
                <li key={i}>
                  <Button type="link" size="small" className="inline-link" onClick={() => onFocusNode(s.node_id)}>
                    <span className="dry-time">{when(s.at)}</span>{" "}
                    {node?.data.label || (type ? localized(type.label, lang) : t("dry.removed_node"))}
                    {s.port && type?.outputs.some((p) => p.name === s.port) && (
                      <span className="muted">
                        {" "}
                        → {localized(type.outputs.find((p) => p.name === s.port)?.label, lang)}
                      </span>
                    )}
                  </Button>
                  {/* what the step is set to do, in words (labels and names, never raw values) */}
                  {node && <NodeSummary typeKey={node.data.typeKey} config={node.data.config} type={type} />}
                  {s.held_reason && (
                    <div className="dry-held small" role="note">
                      {t("held.note", { at: when(s.at), reason: t(`held.reasons.${s.held_reason}`) })}
                    </div>
                  )}
                </li>
              );
            })}
          </ol>
        </div>
      )}
    </section>
  );
}
