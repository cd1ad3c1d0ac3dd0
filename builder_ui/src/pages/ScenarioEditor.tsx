// The scenario builder: palette, canvas (or step list), and side panels for the selected node, problems,
// versions, dry run and settings. The graph lives in React Flow's state; the document is made from it to
// save, validate, publish and export.
import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  useEdgesState,
  useNodesState,
  useReactFlow,
  type Connection,
  type FitViewOptions,
  type IsValidConnection,
  type OnBeforeDelete,
} from "@xyflow/react";
import { useQuery } from "@tanstack/react-query";
import { Alert, Badge, Button, Drawer, Radio, Tabs, Tag } from "antd";
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from "react";
import { useTranslation } from "react-i18next";
import { api, ApiError, workspaceUrl } from "../api";
import { ConfigPanel } from "../components/ConfigPanel";
import { DryRunPanel } from "../components/DryRunPanel";
import { PublishConfirm, type PublishPreview } from "../components/PublishConfirm";
import { ScenarioSubscribers } from "../components/ScenarioSubscribers";
import { ScenarioStatusTag } from "../components/ScenarioStatus";
import { nodeTypes } from "../components/EnishiNode";
import { DRAG_MIME, Palette } from "../components/Palette";
import { SettingsPanel } from "../components/SettingsPanel";
import { StepListView } from "../components/StepListView";
import { VersionsPanel } from "../components/VersionsPanel";
import { defaultConfig } from "../editor/defaults";
import { EditorContext, type DryMark, type EditorShared } from "../editor/context";
import { LookupContext, forgetLookups } from "../forms/pickers";
import { useCatalog, useWorkspaceCatalog } from "../platform/catalog";
import type { PlatformCatalog } from "../platform/contract";
import { copySelection, pasteClip, type Clip } from "../graph/clipboard";
import {
  DEFAULT_SETTINGS,
  REENTRANT_TRIGGERS,
  documentToFlow,
  flowNode,
  flowToDocument,
  newId,
  type FlowEdge,
  type FlowGraph,
  type FlowNode,
} from "../graph/document";
import { History } from "../graph/history";
import { autoLayout, dropPosition } from "../graph/layout";
import { connectionRefusal, typesByKey } from "../graph/rules";
import { localized } from "../i18n";
import { keyOfUrl, queryClient, queryKeys } from "../query";
import type {
  DryRunResult,
  Problem,
  Scenario,
  ScenarioDetail,
  ScenarioDocument,
  WorkspaceAccess,
} from "../types";
import { IN_NODE, problemText } from "../problems";

type Panel = "node" | "problems" | "versions" | "dry" | "settings";
const PANELS: Panel[] = ["node", "problems", "dry", "versions", "settings"];
const CLIPBOARD_KEY = "enishi.clipboard";
// The minimap sits small in the bottom right corner; fitting the view leaves that corner (and the controls' one)
// free, so it never covers a node right after opening or laying out.
const MINIMAP = { width: 120, height: 80 };
const FIT_VIEW: FitViewOptions<FlowNode> = {
  padding: { top: "24px", left: "64px", right: `${MINIMAP.width + 40}px`, bottom: `${MINIMAP.height + 40}px` },
  maxZoom: 1,
};

declare global {
  interface Window {
    enishiBuilder?: { openedAt?: number; validatedAt?: number; nodes?: number; problems?: number };
  }
}

export function ScenarioEditor(props: { access: WorkspaceAccess; scenarioId: number }) {
  return (
    <ReactFlowProvider>
      <Editor {...props} />
    </ReactFlowProvider>
  );
}

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName);
}

/** Problems at "$.nodes[i]…" or "$.edges[i]…" without a node id are put on that node (or the edge's source). */
function attachProblems(problems: Problem[], doc: ScenarioDocument): Problem[] {
  return problems.map((p) => {
    if (p.node_id) return p;
    const node = p.path.match(/^\$\.nodes\[(\d+)\]/);
    if (node) return { ...p, node_id: doc.nodes[Number(node[1])]?.id ?? null };
    const edge = p.path.match(/^\$\.edges\[(\d+)\]/);
    if (edge) return { ...p, node_id: doc.edges[Number(edge[1])]?.source ?? null };
    return p;
  });
}

function download(name: string, data: unknown): void {
  const blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function Editor({ access, scenarioId }: { access: WorkspaceAccess; scenarioId: number }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const workspaceId = access.workspace.id;
  const flow = useReactFlow<FlowNode, FlowEdge>();

  const [scenario, setScenario] = useState<Scenario | null>(null);
  const [nodes, setNodes, onNodesChange] = useNodesState<FlowNode>([]);
  const [edges, setEdges, onEdgesChange] = useEdgesState<FlowEdge>([]);
  const [settings, setSettings] = useState<Record<string, unknown>>({ ...DEFAULT_SETTINGS });
  const [problems, setProblems] = useState<Problem[]>([]);
  const [waiting, setWaiting] = useState<Record<string, number>>({});
  const [held, setHeld] = useState<ScenarioDetail["held_by_node"]>({});
  const [publishPreview, setPublishPreview] = useState<PublishPreview | null>(null);
  const [publishing, setPublishing] = useState(false);
  const [subscribersOpen, setSubscribersOpen] = useState(false);
  const [dirty, setDirty] = useState(false);
  const [status, setStatus] = useState<{ text: string; kind: "ok" | "error" | "info" } | null>(null);
  const [view, setView] = useState<"canvas" | "steps">("canvas");
  const [panel, setPanel] = useState<Panel>("node");
  const [editVersion, setEditVersion] = useState(0); // bumps on every change of the document (not positions)
  const [versionsRefresh, setVersionsRefresh] = useState(0);
  const [dryResult, setDryResult] = useState<DryRunResult | null>(null);
  const [, setHistoryTick] = useState(0);
  const history = useRef(new History<FlowGraph & { settings: Record<string, unknown> }>());
  const editingNode = useRef<string | null>(null);
  const nodesRef = useRef(nodes);
  const edgesRef = useRef(edges);
  const settingsRef = useRef(settings);
  nodesRef.current = nodes;
  edgesRef.current = edges;
  settingsRef.current = settings;
  const importInput = useRef<HTMLInputElement>(null);

  // -- loading --------------------------------------------------------------------------------------------
  // The draft as it is when the editor opens: read afresh each time (kept in no cache once closed), and not
  // again once the editor shows it (what is on the canvas is the edits made from it).
  const started = useRef(performance.now());
  const detailUrl = workspaceUrl(workspaceId, `/scenarios/${scenarioId}`);
  const detailQuery = useQuery(
    {
      queryKey: [...keyOfUrl(detailUrl), "editor"],
      queryFn: ({ signal }) => api.get<ScenarioDetail>(detailUrl, signal),
      enabled: scenario === null,
      staleTime: Infinity,
      gcTime: 0,
    },
    queryClient,
  );
  // The workspace's catalog and its plugins' titles: the console's shared reads.
  const { catalog, failed: catalogFailed } = useWorkspaceCatalog(workspaceId);
  const pluginsUrl = workspaceUrl(workspaceId, "/plugins");
  const pluginsQuery = useQuery(
    {
      queryKey: keyOfUrl(pluginsUrl),
      queryFn: ({ signal }) => api.get<{ name: string; title: { ja: string; en?: string } }[]>(pluginsUrl, signal),
    },
    queryClient,
  );
  const pluginTitles = useMemo<Record<string, { ja: string; en?: string }>>(
    () => Object.fromEntries((pluginsQuery.data ?? []).map((p) => [p.name, p.title])),
    [pluginsQuery.data],
  );
  const failure = scenario ? null : (detailQuery.error ?? (catalogFailed ? queryClient.getQueryState(queryKeys.catalog(workspaceId))?.error : null));
  const loadError = failure ? (failure instanceof Error ? failure.message : String(failure)) : null;

  useEffect(() => {
    forgetLookups();
  }, [workspaceId, scenarioId]);

  // Once the draft and the catalog are read (and the titles, or they failed): the editor opens on the draft.
  const detail = detailQuery.data;
  const pluginsPending = pluginsQuery.isPending;
  useEffect(() => {
    if (scenario || !detail || !catalog || pluginsPending) return;
    const graph = documentToFlow(detail.draft);
    const laidOut = graph.missingPositions ? autoLayout(graph.nodes, graph.edges, portOrder) : graph.nodes;
    setScenario(detail.scenario);
    setNodes(laidOut);
    setEdges(graph.edges);
    setSettings({ ...DEFAULT_SETTINGS, ...(detail.draft.settings ?? {}) });
    setProblems(attachProblems(detail.problems, detail.draft));
    setWaiting(detail.waiting_by_node);
    setHeld(detail.held_by_node ?? {});
    history.current.clear();
    requestAnimationFrame(() => {
      window.enishiBuilder = {
        openedAt: performance.now() - started.current,
        validatedAt: performance.now() - started.current,
        nodes: laidOut.length,
        problems: detail.problems.length,
      };
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [detail, catalog, pluginsPending, scenario]);

  const types = useMemo(() => typesByKey(catalog?.node_types ?? []), [catalog]);
  // Branches are laid out in the order of their node's ports (はい left of いいえ).
  const portOrder = useCallback((n: FlowNode) => types.get(n.data.typeKey)?.outputs.map((p) => p.name) ?? [], [types]);

  // -- changes and history --------------------------------------------------------------------------------
  const snapshot = () => ({ nodes: nodesRef.current, edges: edgesRef.current, settings: settingsRef.current });
  const changed = useCallback(() => {
    setDirty(true);
    setEditVersion((v) => v + 1);
    setHistoryTick((v) => v + 1);
  }, []);

  const commit = useCallback(
    (next: Partial<FlowGraph & { settings: Record<string, unknown> }>) => {
      history.current.record(snapshot());
      editingNode.current = null;
      if (next.nodes) setNodes(next.nodes);
      if (next.edges) setEdges(next.edges);
      if (next.settings) setSettings(next.settings);
      changed();
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [changed],
  );

  const restore = (state: (FlowGraph & { settings: Record<string, unknown> }) | null) => {
    if (!state) return;
    editingNode.current = null;
    setNodes(state.nodes);
    setEdges(state.edges);
    setSettings(state.settings);
    changed();
  };
  const undo = () => restore(history.current.undo(snapshot()));
  const redo = () => restore(history.current.redo(snapshot()));

  /** Config edits of one node count as one step of undo until another node or change comes. */
  const updateNode = (id: string, patch: Partial<FlowNode["data"]>) => {
    if (editingNode.current !== id) {
      history.current.record(snapshot());
      editingNode.current = id;
    }
    setNodes((list) => list.map((n) => (n.id === id ? { ...n, data: { ...n.data, ...patch } } : n)));
    changed();
  };

  // -- the document, validation, saving -------------------------------------------------------------------
  const currentDocument = useCallback(
    () => flowToDocument(nodesRef.current, edgesRef.current, settingsRef.current),
    [],
  );

  // As you edit: the server's validation a moment after the last change.
  useEffect(() => {
    if (editVersion === 0) return;
    const timer = setTimeout(() => {
      const doc = currentDocument();
      const started = performance.now();
      api
        .post<{ problems: Problem[] }>(workspaceUrl(workspaceId, "/scenarios/validate"), doc)
        .then((r) => {
          setProblems(attachProblems(r.problems, doc));
          window.enishiBuilder = { ...window.enishiBuilder, validatedAt: performance.now() - started, problems: r.problems.length };
        })
        .catch(() => undefined);
    }, 700);
    return () => clearTimeout(timer);
  }, [editVersion, workspaceId, currentDocument]);

  const save = useCallback(async (): Promise<boolean> => {
    const doc = currentDocument();
    try {
      const r = await api.put<{ problems: Problem[] }>(workspaceUrl(workspaceId, `/scenarios/${scenarioId}/draft`), doc);
      setProblems(attachProblems(r.problems, doc));
      setDirty(false);
      setStatus({
        text: r.problems.length ? t("editor.saved_with_problems", { count: r.problems.length }) : t("editor.saved"),
        kind: r.problems.length ? "info" : "ok",
      });
      return true;
    } catch (e) {
      if (e instanceof ApiError) {
        setProblems(attachProblems(e.errors.map((x) => ({ node_id: x.node_id ?? null, path: x.path ?? "$", message: x.message })), doc));
        setPanel("problems");
      }
      setStatus({ text: t("editor.save_failed", { message: e instanceof Error ? e.message : String(e) }), kind: "error" });
      return false;
    }
  }, [currentDocument, scenarioId, t, workspaceId]);

  // Publishing asks first: what changes against the published version, and whom it concerns.
  const askToPublish = async () => {
    if (!(await save())) return;
    try {
      const preview = await api.get<PublishPreview>(workspaceUrl(workspaceId, `/scenarios/${scenarioId}/publish-preview`));
      // With problems there is nothing to confirm: the server's refusal names them on their nodes.
      if (preview.problems > 0) await publish();
      else setPublishPreview(preview);
    } catch (e) {
      setStatus({ text: e instanceof Error ? e.message : String(e), kind: "error" });
    }
  };

  const publish = async () => {
    setPublishing(true);
    try {
      const s = await api.post<Scenario>(workspaceUrl(workspaceId, `/scenarios/${scenarioId}/publish`));
      setPublishPreview(null);
      setScenario(s);
      setVersionsRefresh((v) => v + 1);
      setStatus({ text: t("editor.published", { version: s.current_version?.number ?? "" }), kind: "ok" });
    } catch (e) {
      if (e instanceof ApiError && e.errors.length) {
        setProblems(attachProblems(e.errors.map((x) => ({ node_id: x.node_id ?? null, path: x.path ?? "$", message: x.message })), currentDocument()));
        setPanel("problems");
      }
      setPublishPreview(null);
      setStatus({ text: e instanceof Error ? e.message : String(e), kind: "error" });
    } finally {
      setPublishing(false);
    }
  };

  const exportJson = async (version?: number) => {
    const query = version ? `?version=${version}` : "";
    try {
      if (dirty && !version) await save();
      const data = await api.get<unknown>(workspaceUrl(workspaceId, `/scenarios/${scenarioId}/export${query}`));
      download(`${scenario?.name ?? "scenario"}${version ? `-v${version}` : ""}.json`, data);
    } catch (e) {
      setStatus({ text: e instanceof Error ? e.message : String(e), kind: "error" });
    }
  };

  const loadDocument = (doc: ScenarioDocument) => {
    const graph = documentToFlow(doc);
    const laidOut = graph.missingPositions ? autoLayout(graph.nodes, graph.edges, portOrder) : graph.nodes;
    commit({ nodes: laidOut, edges: graph.edges, settings: { ...DEFAULT_SETTINGS, ...(doc.settings ?? {}) } });
    requestAnimationFrame(() => void flow.fitView(FIT_VIEW));
  };

  const importJson = async (file: File) => {
    try {
      const data = JSON.parse(await file.text());
      const doc = (data && typeof data === "object" && "document" in data ? data.document : data) as ScenarioDocument;
      if (!doc || !Array.isArray(doc.nodes) || !Array.isArray(doc.edges)) throw new Error(t("editor.not_a_scenario"));
      loadDocument(doc);
      setStatus({ text: t("editor.imported"), kind: "info" });
    } catch (e) {
      setStatus({ text: t("editor.import_failed", { message: e instanceof Error ? e.message : String(e) }), kind: "error" });
    }
  };

  // -- nodes and edges ------------------------------------------------------------------------------------
  const addNode = useCallback(
    (key: string, position?: { x: number; y: number }) => {
      const type = types.get(key);
      if (!type) return;
      // Centred where it was dropped (or mid-screen), beside any node it would cover.
      const at = dropPosition(
        position ?? flow.screenToFlowPosition({ x: window.innerWidth / 2, y: window.innerHeight / 2 }),
        nodesRef.current,
      );
      const node = flowNode({ id: newId(), type: key, type_version: type.version, config: defaultConfig(type) }, at);
      commit({
        nodes: [...nodesRef.current.map((n) => (n.selected ? { ...n, selected: false } : n)), { ...node, selected: true }],
      });
      setPanel("node");
    },
    [commit, flow, types],
  );

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    const key = event.dataTransfer.getData(DRAG_MIME);
    if (!key) return;
    addNode(key, flow.screenToFlowPosition({ x: event.clientX, y: event.clientY }));
  };

  const isValidConnection: IsValidConnection<FlowEdge> = useCallback(
    (c) => connectionRefusal(c, nodesRef.current, edgesRef.current, types) === null,
    [types],
  );

  const onConnect = useCallback(
    (c: Connection) => {
      const refusal = connectionRefusal(c, nodesRef.current, edgesRef.current, types);
      if (refusal) {
        setStatus({ text: t(`rules.${refusal}`), kind: "error" });
        return;
      }
      commit({
        edges: [
          ...edgesRef.current,
          { id: newId(), source: c.source, sourceHandle: c.sourceHandle, target: c.target, targetHandle: c.targetHandle },
        ],
      });
    },
    [commit, t, types],
  );

  const onBeforeDelete: OnBeforeDelete<FlowNode, FlowEdge> = useCallback(async () => {
    history.current.record(snapshot());
    editingNode.current = null;
    return true;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const deleteSelected = () => {
    const selectedNodes = nodesRef.current.filter((n) => n.selected);
    const selectedEdges = edgesRef.current.filter((e) => e.selected);
    if (!selectedNodes.length && !selectedEdges.length) return;
    void flow.deleteElements({ nodes: selectedNodes, edges: selectedEdges });
  };

  const copy = () => {
    const clip = copySelection(nodesRef.current, edgesRef.current);
    if (!clip) return;
    try {
      localStorage.setItem(CLIPBOARD_KEY, JSON.stringify(clip));
    } catch {
      // kept in this tab only
    }
    clipRef.current = clip;
    setStatus({ text: t("editor.copied", { count: clip.nodes.length }), kind: "info" });
  };
  const clipRef = useRef<Clip | null>(null);
  const paste = () => {
    let clip = clipRef.current;
    try {
      const saved = localStorage.getItem(CLIPBOARD_KEY);
      if (saved) clip = JSON.parse(saved) as Clip;
    } catch {
      // use the tab's own
    }
    if (!clip || clip.format !== "enishi.nodes") return;
    const pasted = pasteClip(clip);
    commit({
      nodes: [...nodesRef.current.map((n) => ({ ...n, selected: false })), ...pasted.nodes],
      edges: [...edgesRef.current, ...pasted.edges],
    });
    clipRef.current = { ...clip, nodes: pasted.nodes, edges: pasted.edges };
    try {
      localStorage.setItem(CLIPBOARD_KEY, JSON.stringify(clipRef.current));
    } catch {
      // fine
    }
  };

  const layout = () => {
    commit({ nodes: autoLayout(nodesRef.current, edgesRef.current, portOrder) });
    requestAnimationFrame(() => void flow.fitView(FIT_VIEW));
  };

  const focusNode = (id: string) => {
    setNodes((list) => list.map((n) => ({ ...n, selected: n.id === id })));
    setPanel("node");
    const node = nodesRef.current.find((n) => n.id === id);
    if (node && view === "canvas") void flow.setCenter(node.position.x + 120, node.position.y + 45, { zoom: 1, duration: 300 });
  };

  // -- keyboard -------------------------------------------------------------------------------------------
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      // Delete and Backspace remove what is selected. Done here rather than by React Flow's own key, which
      // notices a press only if a render comes between the key going down and up (a quick press after an
      // edit was lost).
      if (!mod && !e.altKey && (e.key === "Delete" || e.key === "Backspace")) {
        if (isTyping(e.target) || (e.target as HTMLElement | null)?.closest?.(".nokey")) return;
        e.preventDefault();
        deleteSelected();
        return;
      }
      if (!mod) return;
      const key = e.key.toLowerCase();
      if (key === "s") {
        e.preventDefault();
        void save();
        return;
      }
      if (isTyping(e.target)) return;
      if (key === "z" && !e.shiftKey) {
        e.preventDefault();
        undo();
      } else if (key === "y" || (key === "z" && e.shiftKey)) {
        e.preventDefault();
        redo();
      } else if (key === "c") {
        copy();
      } else if (key === "v") {
        e.preventDefault();
        paste();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  useEffect(() => {
    if (!dirty) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [dirty]);

  // -- what the nodes show --------------------------------------------------------------------------------
  const problemsByNode = useMemo(() => {
    const map = new Map<string, Problem[]>();
    for (const p of problems) if (p.node_id) map.set(p.node_id, [...(map.get(p.node_id) ?? []), p]);
    return map;
  }, [problems]);

  const dryMarks = useMemo(() => {
    const map = new Map<string, DryMark>();
    dryResult?.steps.forEach((s, i) => {
      const mark = map.get(s.node_id) ?? { order: [], at: [] };
      mark.order.push(i + 1);
      mark.at.push(s.at);
      map.set(s.node_id, mark);
    });
    return map;
  }, [dryResult]);

  const shownEdges = useMemo(() => {
    if (!dryResult && problemsByNode.size === 0) return edges;
    const onPath = new Set<string>();
    if (dryResult) {
      const steps = dryResult.steps;
      for (let i = 0; i + 1 < steps.length; i++) {
        const e = edges.find(
          (x) => x.source === steps[i].node_id && x.target === steps[i + 1].node_id && (!steps[i].port || x.sourceHandle === steps[i].port),
        );
        if (e) onPath.add(e.id);
      }
    }
    return edges.map((e) => (onPath.has(e.id) ? { ...e, animated: true, className: "on-path" } : e));
  }, [edges, dryResult, problemsByNode]);

  const shared: EditorShared = useMemo(
    () => ({
      types,
      problemsByNode,
      dryRun: dryMarks,
      waitingByNode: waiting,
      heldByNode: held,
      timezone: access.workspace.timezone,
    }),
    [types, problemsByNode, dryMarks, waiting, held, access.workspace.timezone],
  );
  // The workspace's lookups: the shared catalog's, else those of the catalog this editor read itself.
  const workspaceCatalog = useCatalog();
  const lookupSource = useMemo(
    () => ({
      workspaceId,
      lookups: workspaceCatalog?.lookups ?? (catalog as Partial<PlatformCatalog> | null)?.lookups ?? [],
    }),
    [workspaceId, workspaceCatalog, catalog],
  );

  // antd's tab list takes no name of its own: it is given the panels' name once drawn.
  const side = useRef<HTMLElement>(null);
  const panelsLabel = t("editor.panels");
  useEffect(() => {
    side.current?.querySelector('[role="tablist"]')?.setAttribute("aria-label", panelsLabel);
  });

  const selected = nodes.filter((n) => n.selected);
  const selectedNode = selected.length === 1 ? selected[0] : null;

  if (loadError) return <Alert type="error" showIcon message={loadError} />;
  if (!catalog || !scenario) return <p className="loading">{t("common.loading")}</p>;

  const general = problems.filter((p) => !p.node_id);
  const sideBody = (
    <>
      {panel === "node" &&
        (selectedNode ? (
          <ConfigPanel
            node={selectedNode}
            nodeType={types.get(selectedNode.data.typeKey)}
            problems={problemsByNode.get(selectedNode.id) ?? []}
            onConfig={(config) => updateNode(selectedNode.id, { config })}
            onLabel={(label) => updateNode(selectedNode.id, { label: label || undefined })}
            onDelete={deleteSelected}
          />
        ) : (
          <div className="hint">
            <p>{selected.length > 1 ? t("editor.many_selected", { count: selected.length }) : t("editor.pick_node")}</p>
            <ul className="small muted">
              <li>{t("keys.delete")}</li>
              <li>{t("keys.undo")}</li>
              <li>{t("keys.copy")}</li>
              <li>{t("keys.save")}</li>
            </ul>
          </div>
        ))}
      {panel === "problems" && (
        <section aria-label={t("panel.problems")}>
          <h2>{t("panel.problems")}</h2>
          {problems.length === 0 ? (
            <Alert type="success" showIcon role="none" message={t("editor.no_problems")} />
          ) : (
            <ul className="problems" aria-label={t("editor.problem_list")}>
              {problems.map((p, i) => {
                const node = p.node_id ? nodes.find((n) => n.id === p.node_id) : undefined;
                const type = node ? types.get(node.data.typeKey) : undefined;
                return (
                  <li key={i}>
                    {node ? (
                      <Button type="link" size="small" className="inline-link" onClick={() => focusNode(node.id)}>
                        {node.data.label || (type ? localized(type.label, lang) : node.data.typeKey)}
                      </Button>
                    ) : (
                      <strong>{t("editor.whole_scenario")}</strong>
                    )}
                    : {problemText({ path: p.path, message: localized(p.message, lang) }, IN_NODE)}
                  </li>
                );
              })}
            </ul>
          )}
          {general.length > 0 && <p className="small muted">{t("editor.general_problems", { count: general.length })}</p>}
        </section>
      )}
      {panel === "dry" && (
        <DryRunPanel
          workspaceId={workspaceId}
          scenarioId={scenarioId}
          nodes={nodes}
          types={types}
          timezone={access.workspace.timezone}
          // Unchanged since it was read or saved: the stored draft is what runs (saving it again is no change).
          beforeRun={dirty ? save : async () => true}
          result={dryResult}
          onResult={setDryResult}
          onFocusNode={focusNode}
        />
      )}
      {panel === "versions" && (
        <VersionsPanel
          workspaceId={workspaceId}
          scenarioId={scenarioId}
          refresh={versionsRefresh}
          currentNumber={scenario.current_version?.number ?? null}
          onLoad={(doc, n) => {
            loadDocument(doc);
            setStatus({ text: t("versions.loaded", { version: n }), kind: "info" });
          }}
          onExport={(n) => void exportJson(n)}
        />
      )}
      {panel === "settings" && (
        <SettingsPanel
          settings={settings}
          types={types}
          messageStarted={nodes.some((n) => REENTRANT_TRIGGERS.includes(n.data.typeKey))}
          onChange={(s) => {
            if (editingNode.current !== "$settings") {
              history.current.record(snapshot());
              editingNode.current = "$settings";
            }
            setSettings(s);
            changed();
          }}
        />
      )}
    </>
  );
  return (
    <EditorContext.Provider value={shared}>
      <LookupContext.Provider value={lookupSource}>
        <div className="editor">
          <div className="toolbar" role="toolbar" aria-label={t("editor.toolbar")}>
            <h1 className="scenario-name" title={scenario.name}>
              {scenario.name}
            </h1>
            <ScenarioStatusTag status={scenario.status} />
            {scenario.current_version && <Tag>v{scenario.current_version.number}</Tag>}
            <div className="view-switch" role="radiogroup" aria-label={t("editor.view")}>
              <Radio.Group
                optionType="button"
                buttonStyle="solid"
                size="small"
                value={view}
                onChange={(e) => setView(e.target.value as "canvas" | "steps")}
                options={[
                  { value: "canvas", label: t("editor.canvas") },
                  { value: "steps", label: t("editor.steps") },
                ]}
              />
            </div>
            <Button size="small" onClick={undo} disabled={!history.current.canUndo} title="Ctrl+Z">
              {t("editor.undo")}
            </Button>
            <Button size="small" onClick={redo} disabled={!history.current.canRedo} title="Ctrl+Y">
              {t("editor.redo")}
            </Button>
            <Button size="small" onClick={layout} disabled={view !== "canvas"}>
              {t("editor.auto_layout")}
            </Button>
            <Button size="small" onClick={() => void exportJson()}>
              {t("editor.export")}
            </Button>
            <Button size="small" onClick={() => importInput.current?.click()}>
              {t("editor.import")}
            </Button>
            <input
              ref={importInput}
              type="file"
              accept="application/json,.json"
              hidden
              aria-label={t("editor.import_file")}
              onChange={(e) => {
                const file = e.target.files?.[0];
                if (file) void importJson(file);
                e.target.value = "";
              }}
            />
            <span className="spacer" />
            <span className={`save-state ${dirty ? "dirty" : ""}`} aria-live="polite">
              {dirty ? t("editor.unsaved") : t("editor.all_saved")}
            </span>
            <Button size="small" onClick={() => void save()} title="Ctrl+S">
              {t("editor.save")}
            </Button>
            <Button size="small" onClick={() => setSubscribersOpen(true)}>
              {t("subscribers.title")}
            </Button>
            <Button size="small" type="primary" onClick={() => void askToPublish()}>
              {t("editor.publish")}
            </Button>
          </div>
          <PublishConfirm
            preview={publishPreview}
            titleOf={(id) => {
              const n = nodes.find((x) => x.id === id);
              return n ? n.data.label || localized(types.get(n.data.typeKey)?.label, lang) || undefined : undefined;
            }}
            busy={publishing}
            onPublish={() => void publish()}
            onCancel={() => setPublishPreview(null)}
          />
          <Drawer
            open={subscribersOpen}
            onClose={() => {
              setSubscribersOpen(false);
              // Who waits where may have changed (stopped, moved): the steps' counts are read again.
              api
                .get<ScenarioDetail>(detailUrl)
                .then((d) => {
                  setWaiting(d.waiting_by_node);
                  setHeld(d.held_by_node ?? {});
                })
                .catch(() => undefined);
            }}
            title={t("subscribers.title")}
            width={760}
            destroyOnHidden
            closable={{ "aria-label": t("common.close") }}
          >
            <ScenarioSubscribers
              workspaceId={workspaceId}
              scenarioId={scenarioId}
              nodes={nodes}
              types={types}
              timezone={access.workspace.timezone}
              canWrite={access.permissions.includes("core.write")}
            />
          </Drawer>
          {status && (
            <Alert
              className="editor-status"
              banner
              showIcon
              type={status.kind === "ok" ? "success" : status.kind}
              role={status.kind === "error" ? "alert" : "status"}
              message={status.text}
              closable={{ "aria-label": t("common.close") }}
              onClose={() => setStatus(null)}
            />
          )}
          <div className="editor-body">
            {view === "canvas" && <Palette
                nodeTypes={catalog.node_types}
                pluginTitles={Object.fromEntries(Object.entries(pluginTitles).map(([k, v]) => [k, localized(v, lang)]))}
                onAdd={(k) => addNode(k)}
              />}
            <div className="canvas-area">
              {view === "canvas" ? (
                <div className="canvas" onDrop={onDrop} onDragOver={(e) => {
                  e.preventDefault();
                  e.dataTransfer.dropEffect = "move";
                }}>
                  <ReactFlow<FlowNode, FlowEdge>
                    nodes={nodes}
                    edges={shownEdges}
                    nodeTypes={nodeTypes}
                    onNodesChange={onNodesChange}
                    onEdgesChange={(changes) => {
                      onEdgesChange(changes);
                      if (changes.some((c) => c.type === "remove")) changed();
                    }}
                    onNodesDelete={() => changed()}
                    onConnect={onConnect}
                    isValidConnection={isValidConnection}
                    onBeforeDelete={onBeforeDelete}
                    onNodeDragStart={() => {
                      history.current.record(snapshot());
                      editingNode.current = null;
                    }}
                    onNodeDragStop={() => {
                      setDirty(true);
                      setHistoryTick((v) => v + 1);
                    }}
                    onSelectionChange={() => {
                      editingNode.current = null;
                    }}
                    onNodeClick={() => setPanel("node")}
                    deleteKeyCode={null}
                    multiSelectionKeyCode={["Shift", "Meta", "Control"]}
                    fitView
                    fitViewOptions={FIT_VIEW}
                    minZoom={0.1}
                    maxZoom={2}
                    defaultEdgeOptions={{ type: "smoothstep" }}
                    proOptions={{ hideAttribution: true }}
                  >
                    <Background gap={16} />
                    <Controls showInteractive={false} />
                    <MiniMap pannable zoomable nodeStrokeWidth={3} style={MINIMAP} />
                  </ReactFlow>
                </div>
              ) : (
                <StepListView
                  nodes={nodes}
                  edges={edges}
                  types={types}
                  onChange={(graph) => commit(graph)}
                  onEdit={(id) => focusNode(id)}
                  onShowCanvas={() => setView("canvas")}
                />
              )}
            </div>
            <aside className="side" ref={side}>
              <Tabs
                className="side-tabs"
                size="small"
                activeKey={panel}
                onChange={(key) => setPanel(key as Panel)}
                destroyOnHidden
                items={PANELS.map((p) => ({
                  key: p,
                  label:
                    p === "problems" && problems.length > 0 ? (
                      <>
                        {t(`panel.${p}`)}{" "}
                        <Badge count={problems.length} size="small" title={t("editor.problem_count", { count: problems.length })} />
                      </>
                    ) : (
                      t(`panel.${p}`)
                    ),
                  children: p === panel ? <div className="side-body">{sideBody}</div> : null,
                }))}
              />
            </aside>
          </div>
        </div>
      </LookupContext.Provider>
    </EditorContext.Provider>
  );
}
