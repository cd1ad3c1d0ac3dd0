// @enishi/plugin-ui: the slot types a plugin's console module registers with, and the console's own runtime
// helpers. A plugin's build leaves this package out (it is one of the shared modules), so at run time these
// names are the console's: one API client, one catalog, one React.
export type {
  CatalogColumn,
  CatalogLookup,
  CatalogResource,
  CatalogUiModule,
  ColumnFormat,
  Contribution,
  ConversationFilterProps,
  ConversationFilterSlot,
  EnishiUi,
  FriendColumnSlot,
  FriendPanelProps,
  FriendPanelSlot,
  Localized,
  MenuSectionSlot,
  NodeWidgetSlot,
  PlatformCatalog,
  RegisterUi,
  ReportRendererSlot,
  SegmentConditionOf,
  SettingsPageSlot,
  SlotKinds,
  WorkspaceProps,
} from "../../../src/platform/contract";
export * from "./runtime";
export * from "./forms-kit";
export * from "./swatch";
