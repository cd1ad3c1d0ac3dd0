// What plugins contribute to the console, as the server's catalog describes it and as a plugin's UI module
// registers it. The console's own code names no plugin: every plugin screen, picker and panel arrives through
// these shapes. `GET /api/workspaces/{id}/catalog` lists only what the plugins enabled in that workspace bring.
// The catalog's types are checked against the server's OpenAPI document at compile time (src/openapi/checks.ts).
import type { ComponentType, ReactNode } from "react";
import type { WidgetProps } from "@rjsf/utils";

export type Localized = Record<string, string>; // {"ja": "…", "en": "…"}

/** A named list of the workspace's data that forms pick from ("tags.tags" → GET {workspace}/tags). */
export interface CatalogLookup {
  name: string;
  plugin: string;
  /** Below /api/workspaces/{id}; may carry a query ("/messages/templates?limit=200"). */
  path: string;
  /** The answer is a page `{items: [...]}` rather than a bare list. */
  paged: boolean;
  value_field: string;
  label_field: string;
  hint_field: string | null;
  color_field: string | null;
  /** Property names that mean this lookup wherever a schema uses them, with the JSON type they must have. */
  properties: Record<string, "integer" | "string">;
  /** RJSF `ui:widget` names that mean this lookup ("messageTemplate"). */
  widgets: string[];
  /** A row can be sent to one friend (the reply box): POST here {friend_id, [send_field]: value, idempotency_key}. */
  send_path?: string | null;
  send_field?: string | null;
  /** Each row carries LINE messages in this field: composers offer the rows to insert (saved messages, 定型文). */
  messages_field?: string | null;
}

export type ColumnFormat = "text" | "color" | "number" | "datetime" | "boolean" | "lookup";

export interface CatalogColumn {
  field: string;
  title: Localized;
  format: ColumnFormat;
  /** For format "lookup": the lookup whose label shows instead of the value. */
  lookup: string | null;
}

/** A list and an edit form over a plugin's REST routes, rendered by the console's generic pages. */
export interface CatalogResource {
  name: string;
  plugin: string;
  title: Localized;
  description: Localized | null;
  /** Where the settings menu lists it. */
  group: "data" | "workspace";
  /** Menu order inside its group (smaller first). */
  order: number;
  /** Below /api/workspaces/{id}: GET lists, POST creates. */
  path: string;
  /** Below /api/workspaces/{id}, with "{id}" for the row's id: PATCH/PUT changes, DELETE removes. */
  item_path: string;
  paged: boolean;
  id_field: string;
  label_field: string;
  columns: CatalogColumn[];
  /** The create and edit form (one contract with the server: the server validates the same schema). */
  schema: Record<string, unknown>;
  ui_schema: Record<string, unknown>;
  create: boolean;
  update: "patch" | "put" | null;
  delete: boolean;
  /** The permission writing needs; the list shows to everyone who may use the plugin. */
  permission: string | null;
}

/** A prebuilt ES module of an installed plugin, served from the app's own origin with a content hash. */
export interface CatalogUiModule {
  plugin: string;
  url: string;
  /** The plugin's title, for notices about its module (people never see the plugin's id). */
  title?: Localized;
}

/** Where LINE Login sends people back for a plugin that signs LINE users in (its manifest's line_login_callback). */
export interface CatalogLoginCallback {
  plugin: string;
  title: Localized;
  url: string;
}

export interface PlatformCatalog {
  lookups: CatalogLookup[];
  resources: CatalogResource[];
  ui_modules: CatalogUiModule[];
  line_login_callbacks: CatalogLoginCallback[];
}

// -- slots a UI module fills (the module's default export receives an `EnishiUi` and calls these) -----------

export interface WorkspaceProps {
  workspaceId: number;
  permissions: string[];
}

export interface SettingsPageSlot {
  key: string;
  title: Localized;
  group: "data" | "workspace";
  order?: number;
  permission?: string;
  component: ComponentType<WorkspaceProps & { rest: string[] }>;
}

export interface MenuSectionSlot {
  key: string;
  title: Localized;
  permission?: string;
  component: ComponentType<WorkspaceProps & { rest: string[] }>;
}

/** What a friend panel is given: the workspace, the friend, and the workspace's time zone for showing times. */
export type FriendPanelProps = WorkspaceProps & {
  friendId: number;
  timezone: string;
  /** Call after the panel changed the friend: the page around it reads what it shows again (the inbox's list). */
  onChanged?: () => void;
};

export interface FriendPanelSlot {
  key: string;
  title: Localized;
  /** Place on the friend's page, smaller first (default 100). The read-only values of plugins without a panel
   * of their own stand at 45. */
  order?: number;
  /** Also beside a chat in the inbox (by the same order): a control staff use while answering, kept compact. */
  besideChat?: boolean;
  component: ComponentType<FriendPanelProps>;
}

/** A segment condition (a condition type's key and its config), as the server compiles it to SQL. */
export interface SegmentConditionOf {
  type: string;
  config: Record<string, unknown>;
}

export interface ConversationFilterProps {
  workspaceId: number;
  /** The signed-in person's user id (null until read). */
  meId: number | null;
  /** "" for no filter. */
  value: string;
  onChange: (value: string) => void;
}

/** A filter of the inbox's conversation list: its control, and the condition a value stands for. */
export interface ConversationFilterSlot {
  key: string;
  title: Localized;
  /** Place among the filters, smaller first (default 100). */
  order?: number;
  /** A labelled control (a select) whose value "" means no filter. */
  component: ComponentType<ConversationFilterProps>;
  /** The segment condition of a value ("" never reaches it), or null for none. */
  condition: (value: string, context: { meId: number | null }) => SegmentConditionOf | null;
}

export interface FriendColumnSlot {
  key: string;
  title: Localized;
  render: (friend: Record<string, unknown>) => ReactNode;
}

export interface ReportRendererSlot {
  /** The report type's name ("inflow.routes"). */
  report: string;
  component: ComponentType<{ result: unknown; params: Record<string, unknown>; workspaceId: number }>;
}

export interface NodeWidgetSlot {
  /** The RJSF `ui:widget` name a plugin's uiSchema uses. */
  name: string;
  component: ComponentType<WidgetProps>;
}

export interface EnishiUi {
  /** The slot API's version; a module built for another major version is refused with a message. */
  readonly version: 1;
  readonly plugin: string;
  settingsPage(slot: SettingsPageSlot): void;
  menuSection(slot: MenuSectionSlot): void;
  friendPanel(slot: FriendPanelSlot): void;
  friendColumn(slot: FriendColumnSlot): void;
  conversationFilter(slot: ConversationFilterSlot): void;
  reportRenderer(slot: ReportRendererSlot): void;
  nodeWidget(slot: NodeWidgetSlot): void;
  /** Translations under the plugin's own i18n namespace (`useTranslation(plugin)`). */
  locales(resources: Record<string, Record<string, unknown>>): void;
}

/** What a plugin's UI module exports by default. */
export type RegisterUi = (ui: EnishiUi) => void;

/** Every slot by its kind; `useContributions(kind)` (platform/modules.tsx) answers what loaded modules put there. */
export interface SlotKinds {
  settingsPage: SettingsPageSlot;
  menuSection: MenuSectionSlot;
  friendPanel: FriendPanelSlot;
  friendColumn: FriendColumnSlot;
  conversationFilter: ConversationFilterSlot;
  reportRenderer: ReportRendererSlot;
  nodeWidget: NodeWidgetSlot;
}

export interface Contribution<S> {
  plugin: string;
  slot: S;
}
