// Plugins' UI modules: every prebuilt ES module the workspace's catalog lists is imported once, its default
// export registers what it puts in the console's slots, and screens ask `useContributions(kind)` for them.
// Only the modules of the workspace being looked at count, so a plugin switched off there contributes nothing.
// A module that does not load, throws, or was built for another slot API is left out with a notice; a
// contributed component that throws shows a small error in its place instead of taking the console down.
import {
  Component,
  createContext,
  createElement,
  useContext,
  useEffect,
  useMemo,
  useState,
  type ComponentType,
  type ReactNode,
} from "react";
import { useTranslation } from "react-i18next";
import i18n, { localized } from "../i18n";
import { useCatalog, type WorkspaceCatalog } from "./catalog";
import type { CatalogUiModule, Contribution, EnishiUi, Localized, RegisterUi, SlotKinds } from "./contract";
import en from "./locales/en.json";
import ja from "./locales/ja.json";
import { installShared } from "./shared";
import "./platform.css";

/** The slot API this console speaks (`EnishiUi.version`). */
export const SLOT_API_VERSION = 1;

const NS = "platform";
i18n.addResourceBundle("ja", NS, ja, true, true);
i18n.addResourceBundle("en", NS, en, true, true);

export type SlotKind = keyof SlotKinds;
export type Contributions = { [K in SlotKind]: Contribution<SlotKinds[K]>[] };

export interface ModuleProblem {
  plugin: string;
  title?: Localized;
  url: string;
  /** "failed": it did not load or its registration threw; "version": it was built for another slot API. */
  reason: "failed" | "version";
  version?: unknown;
  detail: string;
}

type Outcome = { ok: true; contributions: Contributions } | { ok: false; problem: ModuleProblem };

/** Imports a module by URL; tests pass their own. */
export type ImportModule = (url: string) => Promise<unknown>;

const importByUrl: ImportModule = (url) => import(/* @vite-ignore */ url);

/** A module that has not loaded and registered by then is left out (its deep links would wait for ever). */
export const LOAD_TIMEOUT_MS = 20_000;

function within<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not loaded within ${ms / 1000} s`)), ms);
    work.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (error: unknown) => (clearTimeout(timer), reject(error)),
    );
  });
}

const KINDS: SlotKind[] = [
  "settingsPage",
  "menuSection",
  "friendPanel",
  "friendColumn",
  "conversationFilter",
  "reportRenderer",
  "nodeWidget",
];

const emptyContributions = (): Contributions => ({
  settingsPage: [],
  menuSection: [],
  friendPanel: [],
  friendColumn: [],
  conversationFilter: [],
  reportRenderer: [],
  nodeWidget: [],
});

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

// -- guarding what plugins contribute ----------------------------------------------------------------------

type Owner = { plugin: string; title?: Localized };

class SlotBoundary extends Component<{ owner: Owner; children: ReactNode }, { error: unknown }> {
  state = { error: undefined as unknown };

  static getDerivedStateFromError(error: unknown) {
    return { error: error ?? new Error("error") };
  }

  componentDidCatch(error: unknown) {
    console.error(`[enishi] a UI contribution of plugin ${this.props.owner.plugin} failed`, error);
  }

  render() {
    if (this.state.error === undefined) return this.props.children;
    return <SlotError owner={this.props.owner} detail={describe(this.state.error)} />;
  }
}

function SlotError({ owner, detail }: { owner: Owner; detail: string }) {
  const { t, i18n: current } = useTranslation(NS);
  const plugin = owner.title ? localized(owner.title, current.language) : owner.plugin;
  return (
    <span className="plugin-error" role="alert" title={detail}>
      {t("slot_failed", { plugin })}
    </span>
  );
}

/** The plugin's component inside an error boundary of its own. */
function guarded<P extends object>(owner: Owner, inner: ComponentType<P>): ComponentType<P> {
  const Guarded = (props: P) => <SlotBoundary owner={owner}>{createElement(inner, props)}</SlotBoundary>;
  Guarded.displayName = `PluginSlot(${owner.plugin})`;
  return Guarded;
}

function RenderCall({ render, friend }: { render: (friend: Record<string, unknown>) => ReactNode; friend: Record<string, unknown> }) {
  return <>{render(friend)}</>;
}

// -- loading one module --------------------------------------------------------------------------------------

/** An `EnishiUi` bound to `plugin` that records what the module registers into `into`. */
function bindUi(owner: Owner, into: Contributions): EnishiUi {
  const { plugin } = owner;
  const add = <K extends SlotKind>(kind: K, slot: SlotKinds[K]) => {
    if (!slot || typeof slot !== "object") throw new Error(`${kind}: a slot object is expected`);
    into[kind].push({ plugin, slot } as Contribution<SlotKinds[K]> as (typeof into)[K][number]);
  };
  return {
    version: SLOT_API_VERSION,
    plugin,
    settingsPage: (slot) => add("settingsPage", { ...slot, component: guarded(owner, slot.component) }),
    menuSection: (slot) => add("menuSection", { ...slot, component: guarded(owner, slot.component) }),
    friendPanel: (slot) => add("friendPanel", { ...slot, component: guarded(owner, slot.component) }),
    friendColumn: (slot) =>
      add("friendColumn", {
        ...slot,
        render: (friend) => (
          <SlotBoundary owner={owner}>
            <RenderCall render={slot.render} friend={friend} />
          </SlotBoundary>
        ),
      }),
    conversationFilter: (slot) => {
      if (typeof slot?.condition !== "function") throw new Error("conversationFilter: condition(value) is expected");
      add("conversationFilter", { ...slot, component: guarded(owner, slot.component) });
    },
    reportRenderer: (slot) => add("reportRenderer", { ...slot, component: guarded(owner, slot.component) }),
    nodeWidget: (slot) => add("nodeWidget", { ...slot, component: guarded(owner, slot.component) }),
    locales: (resources) => {
      for (const [lang, strings] of Object.entries(resources ?? {})) {
        i18n.addResourceBundle(lang, plugin, strings, true, true);
      }
    },
  };
}

/** Runs a module's registration as the console does, without loading it: what it registers in each slot (its
 * components guarded as in the console, its strings added under its namespace). For a plugin's own tests. */
export function registered(register: RegisterUi, plugin: string): { [K in SlotKind]: SlotKinds[K][] } {
  const into = emptyContributions();
  register(bindUi({ plugin }, into));
  return Object.fromEntries(KINDS.map((kind) => [kind, into[kind].map((c) => c.slot)])) as { [K in SlotKind]: SlotKinds[K][] };
}

/** Imports one module and runs its registration; all it registers, or nothing and the reason. */
export async function loadUiModule(module: CatalogUiModule, importModule: ImportModule = importByUrl): Promise<Outcome> {
  const { plugin, url, title } = module;
  const failed = (detail: string): Outcome => ({ ok: false, problem: { plugin, title, url, reason: "failed", detail } });
  let loaded: { default?: unknown; version?: unknown };
  try {
    await installShared();
    loaded = ((await within(importModule(url), LOAD_TIMEOUT_MS)) ?? {}) as typeof loaded;
  } catch (error) {
    return failed(describe(error));
  }
  const register = loaded.default;
  if (typeof register !== "function") return failed("the module has no default export register(ui)");
  // A module says which slot API it was built for with `export const version` (or a `version` on register).
  const declared = loaded.version ?? (register as { version?: unknown }).version;
  if (declared !== undefined && declared !== SLOT_API_VERSION) {
    return {
      ok: false,
      problem: { plugin, title, url, reason: "version", version: declared, detail: `slot API ${String(declared)}, console ${SLOT_API_VERSION}` },
    };
  }
  const contributions = emptyContributions();
  try {
    const answer: unknown = (register as (ui: EnishiUi) => unknown)(bindUi({ plugin, title }, contributions));
    if (answer instanceof Promise) await within(answer, LOAD_TIMEOUT_MS);
  } catch (error) {
    return failed(describe(error));
  }
  return { ok: true, contributions };
}

// A module is imported and registered once per URL (the URL carries its content hash).
const loadedByImporter = new WeakMap<ImportModule, Map<string, Promise<Outcome>>>();

function loadOnce(module: CatalogUiModule, importModule: ImportModule): Promise<Outcome> {
  let cache = loadedByImporter.get(importModule);
  if (!cache) loadedByImporter.set(importModule, (cache = new Map()));
  const key = `${module.plugin} ${module.url}`;
  let outcome = cache.get(key);
  if (!outcome) cache.set(key, (outcome = loadUiModule(module, importModule)));
  return outcome;
}

// -- the store ------------------------------------------------------------------------------------------------

export interface UiModules {
  /** False until every module of the workspace's catalog was tried. */
  ready: boolean;
  contributions: Contributions;
  problems: ModuleProblem[];
}

const NOTHING: UiModules = { ready: false, contributions: emptyContributions(), problems: [] };

const UiModulesContext = createContext<UiModules>(NOTHING);

/** Loads the UI modules of the workspace whose catalog is provided above (inside `CatalogProvider`). */
export function UiModulesProvider({ children, importModule = importByUrl }: { children: ReactNode; importModule?: ImportModule }) {
  const catalog = useCatalog();
  const [loaded, setLoaded] = useState<{ of: WorkspaceCatalog; outcomes: Outcome[] } | null>(null);
  useEffect(() => {
    if (!catalog) return;
    let live = true;
    void Promise.all(catalog.ui_modules.map((m) => loadOnce(m, importModule))).then(
      (outcomes) => live && setLoaded({ of: catalog, outcomes }),
    );
    return () => {
      live = false;
    };
  }, [catalog, importModule]);
  const value = useMemo<UiModules>(() => {
    // Outcomes of another workspace's catalog (or of this one before its plugins changed) never show.
    if (!catalog || !loaded || loaded.of !== catalog) return NOTHING;
    const contributions = emptyContributions();
    const problems: ModuleProblem[] = [];
    for (const outcome of loaded.outcomes) {
      if (!outcome.ok) {
        problems.push(outcome.problem);
        continue;
      }
      for (const kind of KINDS) {
        (contributions[kind] as Contribution<unknown>[]).push(...outcome.contributions[kind]);
      }
    }
    return { ready: true, contributions, problems };
  }, [catalog, loaded]);
  return <UiModulesContext.Provider value={value}>{children}</UiModulesContext.Provider>;
}

/** What the workspace's plugins put in slots of this kind, in the catalog's plugin order. */
export function useContributions<K extends SlotKind>(kind: K): Contribution<SlotKinds[K]>[] {
  return useContext(UiModulesContext).contributions[kind];
}

/** Whether the workspace's modules were all tried, and which were left out. */
export function useUiModules(): UiModules {
  return useContext(UiModulesContext);
}

/** A notice for each module left out, in the UI's language; nothing when all loaded. */
export function UiModuleProblems() {
  const { t, i18n: current } = useTranslation(NS);
  const { problems } = useUiModules();
  if (problems.length === 0) return null;
  const named = (p: ModuleProblem) => (p.title ? localized(p.title, current.language) : p.plugin);
  return (
    <div className="plugin-problems" role="alert">
      {problems.map((p) => (
        <p key={`${p.plugin} ${p.url}`} className="plugin-problem">
          {p.reason === "version"
            ? t("module_version", { plugin: named(p), version: String(p.version) })
            : t("module_failed", { plugin: named(p) })}{" "}
          <span className="muted small" title={p.detail}>
            ({t("details")}: {p.detail})
          </span>
        </p>
      ))}
    </div>
  );
}
