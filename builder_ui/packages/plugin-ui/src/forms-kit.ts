// The console's node forms for a plugin page that configures node actions as the scenario builder does: the
// form drawn from a node type's JSON Schema (RJSF) with the workspace's pickers and plugins' widgets, the
// lookups those pickers read, a node type's default config, and a read-only value with a copy button. These
// are the console's own pieces, so a plugin's form looks, validates and picks exactly as the builder's.
// ConfigForm is read when first drawn, and the RJSF setup for a form of one's own through loadSchemaForms(): the
// kit is read with every plugin module, and most of them (columns, filters, panels) draw no schema form.
export { ConfigForm, loadSchemaForms } from "../../../src/forms/LazyConfigForm";
export {
  forgetLookups,
  LookupContext,
  LookupWidget,
  useLookups,
  useOptions,
  type LookupSource,
  type Option,
} from "../../../src/forms/pickers";
export { defaultConfig } from "../../../src/editor/defaults";
export { CopyField } from "../../../src/console/settings/ui";
export type { NodeKind, NodeTypeDef } from "../../../src/types";
