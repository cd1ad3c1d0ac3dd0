// The shapes of what the Enishi API sends and takes, as far as the builder uses them. src/openapi/checks.ts checks
// several against the server's OpenAPI document; a new screen can take its types from there (src/openapi/client.ts).

export type Localized = { ja: string; en?: string };

export interface PortDef {
  name: string;
  label: Localized;
}

export type NodeKind = "trigger" | "action" | "condition" | "wait";

export interface NodeTypeDef {
  key: string;
  kind: NodeKind;
  version: number;
  plugin: string;
  label: Localized;
  description: Localized | null;
  config_schema: Record<string, unknown>;
  ui_schema: Record<string, unknown>;
  inputs: PortDef[];
  outputs: PortDef[];
  allowed_targets: string[] | null;
  deprecated: boolean;
  usable_in_segments?: boolean | null; // conditions: whether a segment may use it
}

export interface Catalog {
  node_types: NodeTypeDef[];
  reports: unknown[];
  friend_fields: { key: string; plugin: string; label: Localized }[];
}

export interface ScenarioNode {
  id: string;
  type: string;
  type_version: number;
  config: Record<string, unknown>;
  label?: string;
}

export interface ScenarioEdge {
  id: string;
  source: string;
  source_port: string;
  target: string;
  target_port: string;
}

export interface ScenarioDocument {
  schema_version: 1;
  nodes: ScenarioNode[];
  edges: ScenarioEdge[];
  settings?: Record<string, unknown>;
  layout?: Record<string, { x: number; y: number }>;
}

export interface Problem {
  node_id: string | null;
  path: string;
  message: string;
}

export interface Version {
  id: number;
  number: number;
  published_at: string;
  published_by: number | null;
}

export interface Scenario {
  id: number;
  name: string;
  folder: string | null;
  description: string | null;
  status: "draft" | "active" | "stopped";
  draft_changed: boolean;
  current_version: Version | null;
  live_runs: number;
  created_at: string;
  updated_at: string;
}

export interface ScenarioDetail {
  scenario: Scenario;
  draft: ScenarioDocument;
  problems: Problem[];
  runs_by_status: Record<string, number>;
  waiting_by_node: Record<string, number>;
  /** Runs at a send step waiting out quiet hours, and when the first of them goes on. */
  held_by_node?: Record<string, { count: number; until: string }>;
}

export interface DryStep {
  node_id: string;
  node_type: string;
  kind: string;
  at: string;
  port: string | null;
  detail: Record<string, unknown>;
  /** "quiet_hours": the send waited until `at`, the end of the quiet hours. */
  held_reason?: string | null;
  held_from?: string | null;
}

export interface DryRunResult {
  steps: DryStep[];
  outcome: string;
}

export interface Membership {
  scope: "workspace" | "agency";
  id: number;
  role: string;
}

export interface Me {
  user: { id: number; email: string; display_name: string; is_platform_admin: boolean; locale: string };
  memberships: Membership[];
  csrf_token: string | null;
}

export interface WorkspaceAccess {
  workspace: { id: number; name: string; timezone: string };
  role: string;
  permissions: string[];
  enabled_plugins: string[];
}

export interface WorkspaceSummary {
  id: number;
  agency_id: number;
  name: string;
  timezone: string;
}
