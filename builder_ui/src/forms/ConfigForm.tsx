// A node config form generated from its type's JSON Schema (RJSF with ajv8, in Ant Design: ./theme), with the
// catalog's pickers and the message editor as custom widgets and fields. `useFormSetup` is that setup for any
// other form drawn from a plugin's schema (the settings' resource pages).
import { Widgets as ANTD_WIDGETS } from "@rjsf/antd";
import { getDefaultRegistry } from "@rjsf/core";
import {
  hasWidget,
  type FieldProps,
  type RegistryFieldsType,
  type RegistryWidgetsType,
  type RJSFSchema,
} from "@rjsf/utils";
import { customizeValidator } from "@rjsf/validator-ajv8";
import localizeJa from "ajv-i18n/localize/ja";
import { useMemo } from "react";
import { useTranslation } from "react-i18next";
import type { NodeTypeDef } from "../types";
import type { CatalogLookup } from "../platform/contract";
import { useContributions } from "../platform/modules";
import { DEFAULT_FORM_STATE } from "../editor/defaults";
import { MessagesField } from "./MessagesField";
import { lookupWidgets, useLookups } from "./pickers";
import { decorateUiSchema, formSchema, localizeSchema } from "./schema";
import { SchemaForm, useRjsfWords } from "./theme";

// Form errors in the UI's language (ajv's own messages are English).
const validators = {
  ja: customizeValidator({}, localizeJa as Parameters<typeof customizeValidator>[1]),
  en: customizeValidator(),
};

const fields: RegistryFieldsType = { lineMessages: MessagesField as unknown as React.ComponentType<FieldProps> };
const NO_LOOKUPS: readonly CatalogLookup[] = [];

/** The project's RJSF setup: the validator in the UI's language, the workspace's lookup and plugin widgets, the fields. */
export function useFormSetup() {
  const { i18n } = useTranslation();
  const lang = i18n.language;
  const lookups = useLookups() ?? NO_LOOKUPS;
  // Widgets plugins' UI modules register (nodeWidget) by the name their uiSchemas use; a lookup's keeps its name.
  const pluginWidgets = useContributions("nodeWidget");
  const widgets: RegistryWidgetsType = useMemo(
    () => ({ ...Object.fromEntries(pluginWidgets.map((c) => [c.slot.name, c.slot.component])), ...lookupWidgets(lookups) }),
    [lookups, pluginWidgets],
  );
  const translateString = useRjsfWords();
  return { lang, lookups, widgets, fields, translateString, validator: lang === "en" ? validators.en : validators.ja };
}

const RJSF_WIDGETS = { ...getDefaultRegistry().widgets, ...ANTD_WIDGETS };
const SCHEMA_TYPES = ["string", "number", "integer", "boolean", "array", "object"] as const;

/** The uiSchema without `ui:widget` names no widget answers (a plugin's whose UI module has not loaded, or
 * failed): those fields get RJSF's plain widget instead of the whole form throwing "No widget". */
export function withKnownWidgets(uiSchema: Record<string, unknown>, widgets: RegistryWidgetsType): Record<string, unknown> {
  const registered = { ...RJSF_WIDGETS, ...widgets };
  const known = (name: string) => SCHEMA_TYPES.some((type) => hasWidget({ type }, name, registered));
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (!node || typeof node !== "object") return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === "ui:widget" && typeof value === "string" && !known(value)) continue;
      out[key] = walk(value);
    }
    return out;
  };
  return walk(uiSchema) as Record<string, unknown>;
}

/** A plugin's JSON Schema in the UI's language, laid out for a form (constraint-only combinators left out). */
export function useFormSchema(schema: Record<string, unknown>, lang: string): RJSFSchema {
  return useMemo(() => formSchema(localizeSchema(schema, lang)) as RJSFSchema, [schema, lang]);
}

export function ConfigForm({
  nodeType,
  config,
  onChange,
  idPrefix = "cfg",
}: {
  nodeType: NodeTypeDef;
  config: Record<string, unknown>;
  onChange: (config: Record<string, unknown>) => void;
  idPrefix?: string;
}) {
  const { lang, lookups, widgets, validator, translateString } = useFormSetup();
  const schema = useFormSchema(nodeType.config_schema, lang);
  const uiSchema = useMemo(
    () => withKnownWidgets(decorateUiSchema(schema, nodeType.ui_schema, lookups), widgets),
    [schema, nodeType, lookups, widgets],
  );
  const hasFields = Object.keys((schema.properties as object | undefined) ?? {}).length > 0;
  if (!hasFields) return null;
  return (
    <SchemaForm
      idPrefix={idPrefix}
      schema={schema}
      uiSchema={uiSchema}
      formData={config}
      validator={validator}
      widgets={widgets}
      fields={fields}
      translateString={translateString}
      liveValidate
      experimental_defaultFormStateBehavior={DEFAULT_FORM_STATE}
      showErrorList={false}
      noHtml5Validate
      onChange={(e) => onChange((e.formData ?? {}) as Record<string, unknown>)}
    />
  );
}
