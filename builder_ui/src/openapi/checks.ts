// The shapes the console declares by hand, checked against the server's OpenAPI document at compile time: each
// answer the server sends must be assignable to the type the console reads it as. A field the server renames,
// drops or retypes fails `npm run typecheck` here, naming the type; a field it adds does not (nothing reads it
// yet). The hand-written types stay (platform/contract.ts is also the slot API plugins' modules import); these
// lines tie them to the server. No code: nothing here is in the build.
import type { CatalogColumn, CatalogLookup, CatalogResource, CatalogUiModule, PlatformCatalog } from "../platform/contract";
import type { DryRunResult, Me, Membership, Scenario, Version, WorkspaceAccess, WorkspaceSummary } from "../types";
import type { Schema } from "./client";

/** `true` when every value of `Server` is a `Console`; else the fields at fault, which the compiler's message shows. */
type Reads<Server, Console> = [Server] extends [Console]
  ? true
  : {
      not_sent: Exclude<keyof Console, keyof Server>;
      of_another_type: {
        [K in keyof Console & keyof Server]: [Server[K]] extends [Console[K]] ? never : K;
      }[keyof Console & keyof Server];
    };
type Expect<T extends true> = T;

// platform/contract.ts: the workspace's catalog (GET /api/workspaces/{workspace_id}/catalog)
export type CatalogChecks = [
  Expect<Reads<Schema<"LookupOut">, CatalogLookup>>,
  Expect<Reads<Schema<"workspace_schemas_ColumnOut">, CatalogColumn>>,
  Expect<Reads<Schema<"ResourceOut">, CatalogResource>>,
  Expect<Reads<Schema<"UiModuleOut">, CatalogUiModule>>,
  Expect<Reads<Schema<"CatalogOut">, PlatformCatalog>>,
];

// types.ts: the scenarios, the signed-in user and the workspace. Where the server declares a plain string and
// the console a union of the values it knows (a scenario's status, a membership's scope), the field is left out.
export type ConsoleChecks = [
  Expect<Reads<Schema<"VersionOut">, Version>>,
  Expect<Reads<Omit<Schema<"ScenarioOut">, "status">, Omit<Scenario, "status">>>,
  Expect<Reads<Schema<"DryRunOut">, DryRunResult>>,
  Expect<Reads<Schema<"UserOut">, Me["user"]>>,
  Expect<Reads<Omit<Schema<"MembershipOut">, "scope">, Omit<Membership, "scope">>>,
  Expect<Reads<Schema<"AccessOut">, WorkspaceAccess>>,
  Expect<Reads<Schema<"WorkspaceOut">, WorkspaceSummary>>,
];
