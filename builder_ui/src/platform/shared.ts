// The libraries the console shares with plugins' UI modules. A module's build leaves them out and imports
// /ui/shared/<name>.js instead, a shim (written by the console's build, scripts/shared-shims.js) that
// re-exports the objects put here: so a plugin's `useState` is the console's React, and its `useTranslation`
// the console's i18next with the plugin's strings, and its Ant Design components draw in the console's theme.
import * as React from "react";
import * as ReactDom from "react-dom";
import * as JsxRuntime from "react/jsx-runtime";
import * as ReactI18next from "react-i18next";

/** Each shim's name (/ui/shared/<name>.js) and how to get the module it re-exports. The console's kit
 * (@enishi/plugin-ui: forms, pickers, resource pages) is a chunk of its own, read only once a plugin's module is
 * about to load, so a first page that needs no plugin module does not wait for it; so are the Ant Design
 * components shared with modules (antd-kit: the names a module may import from "antd", not the whole library). */
export const SHARED = {
  react: async () => React,
  "react-dom": async () => ReactDom,
  "react-jsx-runtime": async () => JsxRuntime,
  "react-i18next": async () => ReactI18next,
  "plugin-ui": () => import("@enishi/plugin-ui"),
  antd: () => import("./antd-kit"),
} as const satisfies Record<string, () => Promise<unknown>>;

/** The shared modules themselves, by shim name. */
export async function sharedModules(): Promise<Record<keyof typeof SHARED, unknown>> {
  const entries = await Promise.all(Object.entries(SHARED).map(async ([name, load]) => [name, await load()] as const));
  return Object.fromEntries(entries) as Record<keyof typeof SHARED, unknown>;
}

declare global {
  // eslint-disable-next-line no-var
  var __ENISHI_SHARED__: Record<string, unknown> | undefined;
}

let installing: Promise<void> | null = null;

/** Puts the shared modules where the shims read them; awaited before any plugin module is imported. */
export function installShared(): Promise<void> {
  installing ??= sharedModules().then((modules) => {
    globalThis.__ENISHI_SHARED__ ??= { ...modules };
  });
  return installing;
}
