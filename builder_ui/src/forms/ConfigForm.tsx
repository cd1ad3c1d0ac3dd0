// A node config form generated from its type's JSON Schema (RJSF with ajv8, in Ant Design: ./theme), with the
// catalog's pickers and the message editor as custom widgets and fields. `useFormSetup` is that setup for any
// other form drawn from a plugin's schema (the settings' resource pages).
// A problem shows at its field, in the words the server uses (./messages), once the field was touched (changed
// or left) or when the whole form is to be checked (`reveal`, after a save the server refused), and goes as
// soon as it is fixed; the server's own problems with the node show at their fields too until the field changes.
import { Widgets as ANTD_WIDGETS } from "@rjsf/antd";
import { getDefaultRegistry } from "@rjsf/core";
import {
  createErrorHandler,
  ErrorSchemaBuilder,
  hasWidget,
  mergeObjects,
  toErrorList,
  type ErrorSchema,
  type FieldProps,
  type RegistryFieldsType,
  type RegistryWidgetsType,
  type RJSFSchema,
  type UiSchema,
  type ValidatorType,
  unwrapErrorHandler,
} from "@rjsf/utils";
import { customizeValidator } from "@rjsf/validator-ajv8";
import type { ErrorObject } from "ajv";
import { useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { TimeWidget, timeUi } from "../components/TimeFields";
import { localized } from "../i18n";
import { IN_NODE } from "../problems";
import type { NodeTypeDef, Problem } from "../types";
import type { CatalogLookup } from "../platform/contract";
import { useContributions } from "../platform/modules";
import { DEFAULT_FORM_STATE } from "../editor/defaults";
import { MessagesField } from "./MessagesField";
import { lookupWidgets, useLookups } from "./pickers";
import { choiceLayout, ConstantWidget } from "./choices";
import { sayProblems, type SaidProblem } from "./messages";
import { decorateUiSchema, formSchema, localizeSchema } from "./schema";
import { SchemaForm, useRjsfWords } from "./theme";

const ajv = customizeValidator();

/** "$.messages[1].text" → ["messages", "1", "text"]. */
export function pathParts(path: string): string[] {
  return [...path.matchAll(/\.([^.[\]]+)|\[(\d+)\]/g)].map((m) => m[1] ?? m[2]);
}

/** Problems as RJSF's error schema, each at its field, in one language. */
export function errorSchemaOf(problems: readonly SaidProblem[], lang: string): ErrorSchema {
  const builder = new ErrorSchemaBuilder();
  for (const p of problems) builder.addErrors(localized(p.message, lang), pathParts(p.path));
  return builder.ErrorSchema;
}

/** The problems of `data` against `schema`, in plain words (the same texts the server says). */
export function problemsOf(schema: Record<string, unknown>, data: unknown): SaidProblem[] {
  const { errors } = ajv.rawValidation<ErrorObject>(schema as RJSFSchema, data);
  return sayProblems(errors ?? [], schema, data);
}

/** RJSF's ajv8 validator, whose problems (on submit) are said in the server's plain words. */
function plainValidator(lang: string): ValidatorType {
  return {
    rawValidation: (schema, data) => ajv.rawValidation(schema, data),
    isValid: (schema, data, root) => ajv.isValid(schema, data, root),
    toErrorList: (errorSchema, fieldPath) => ajv.toErrorList(errorSchema, fieldPath),
    reset: () => ajv.reset?.(),
    validateFormData(formData, schema, customValidate, transformErrors, uiSchema) {
      let errorSchema = errorSchemaOf(problemsOf(schema as Record<string, unknown>, formData), lang);
      let errors = toErrorList(errorSchema);
      if (customValidate) {
        const own = unwrapErrorHandler(customValidate(formData, createErrorHandler(formData), uiSchema));
        errorSchema = mergeObjects(errorSchema, own, true) as ErrorSchema;
        errors = toErrorList(errorSchema);
      }
      if (transformErrors) errors = transformErrors(errors, uiSchema);
      return { errors, errorSchema };
    },
  };
}
/** Validators for schema forms checked on submit (resources, report parameters), in each UI language. */
export const PLAIN_VALIDATORS = { ja: plainValidator("ja"), en: plainValidator("en") };
const validators = PLAIN_VALIDATORS;

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
    () => ({
      constant: ConstantWidget,
      time: TimeWidget,
      ...Object.fromEntries(pluginWidgets.map((c) => [c.slot.name, c.slot.component])),
      ...lookupWidgets(lookups),
    }),
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

/** A plugin's JSON Schema in the UI's language, laid out for a form (constraint-only combinators left out,
 * ways to answer given as a choice: ./choices). */
export function useFormSchema(schema: Record<string, unknown>, lang: string): RJSFSchema {
  return useMemo(() => choiceLayout(formSchema(localizeSchema(schema, lang))).schema as RJSFSchema, [schema, lang]);
}

/** The uiSchema entries the choice layout needs (its constant fields hidden). */
function choiceUi(schema: Record<string, unknown>, ui: UiSchema): UiSchema {
  return choiceLayout(formSchema(schema), ui).uiSchema;
}

/** The RJSF id of the field at a JSON path ("$.wait.days" → "cfg_wait_days"), as RJSF names its inputs. */
const fieldId = (prefix: string, path: string) => [prefix, ...pathParts(path)].join("_");

/** Paths of the values that differ between two answers ("$.messages[0].text"), down to the leaves. */
export function changedPaths(before: unknown, after: unknown, path = "$"): string[] {
  if (before === after) return [];
  const container = (v: unknown) => !!v && typeof v === "object";
  if (!container(before) || !container(after) || Array.isArray(before) !== Array.isArray(after)) return [path];
  const a = before as Record<string, unknown>;
  const b = after as Record<string, unknown>;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  const at = (k: string) => (Array.isArray(after) ? `${path}[${k}]` : `${path}.${k}`);
  return [...keys].flatMap((k) => changedPaths(a[k], b[k], at(k)));
}

function valueAt(data: unknown, path: string): unknown {
  let node = data;
  for (const part of pathParts(path)) node = (node as Record<string, unknown> | undefined)?.[part];
  return node;
}

/** A problem is shown once its field, or one inside it, was touched. */
const touches = (touched: ReadonlySet<string>, id: string) =>
  [...touched].some((t) => t === id || t.startsWith(id + "_"));

const NO_PROBLEMS: readonly Problem[] = [];

export function ConfigForm({
  nodeType,
  config,
  onChange,
  idPrefix = "cfg",
  problems = NO_PROBLEMS,
  reveal = false,
}: {
  nodeType: NodeTypeDef;
  config: Record<string, unknown>;
  onChange: (config: Record<string, unknown>) => void;
  idPrefix?: string;
  /** The server's problems with this node (paths of the scenario, `$.nodes[3].config.x`, or of the config). */
  problems?: readonly Problem[];
  /** Show every problem, touched or not (the form is being saved or checked as a whole). */
  reveal?: boolean;
}) {
  const { lang, lookups, widgets, translateString } = useFormSetup();
  const schema = useFormSchema(nodeType.config_schema, lang);
  const uiSchema = useMemo(
    () =>
      withKnownWidgets(
        decorateUiSchema(schema, timeUi(schema, choiceUi(nodeType.config_schema, nodeType.ui_schema as UiSchema)), lookups),
        widgets,
      ),
    [schema, nodeType, lookups, widgets],
  );
  // Touched fields (by RJSF id) and those changed since the server's latest problems. Kept in refs: a change
  // re-renders through the new config (a state update here would redraw the form with the config of before).
  const touched = useRef(new Set<string>());
  const edited = useRef(new Set<string>());
  const problemsSeen = useRef(problems);
  if (problemsSeen.current !== problems) {
    problemsSeen.current = problems; // the server's latest word stands until its field changes
    edited.current = new Set();
  }
  const [blurs, setBlurs] = useState(0); // leaving a field changes nothing else: it redraws the form itself
  const extraErrors = useMemo(() => {
    const own = problemsOf(nodeType.config_schema, config).filter(
      (p) => reveal || touches(touched.current, fieldId(idPrefix, p.path)),
    );
    const server = problems
      .filter((p) => !p.path || p.path.startsWith("$"))
      .map((p) => ({ path: (p.path || "$").replace(IN_NODE, "$"), message: p.message }))
      .filter((p) => !touches(edited.current, fieldId(idPrefix, p.path)) && !own.some((o) => o.path === p.path && o.message === p.message));
    return errorSchemaOf([...own, ...server], lang);
    // (the refs are read afresh with each config and each blur)
  }, [nodeType, config, reveal, blurs, problems, idPrefix, lang]);
  const hasFields = Object.keys((schema.properties as object | undefined) ?? {}).length > 0;
  if (!hasFields) return null;
  return (
    <SchemaForm
      idPrefix={idPrefix}
      schema={schema}
      uiSchema={uiSchema}
      formData={config}
      validator={ajv}
      widgets={widgets}
      fields={fields}
      translateString={translateString}
      noValidate
      extraErrors={extraErrors}
      experimental_defaultFormStateBehavior={DEFAULT_FORM_STATE}
      showErrorList={false}
      noHtml5Validate
      onBlur={(id) => {
        if (touched.current.has(id)) return;
        touched.current.add(id);
        setBlurs((n) => n + 1);
      }}
      onChange={(e, id) => {
        const next = (e.formData ?? {}) as Record<string, unknown>;
        const changed = changedPaths(config, next);
        // RJSF filling in the schema's defaults (no field's id, nothing there before) is no one's touch
        const filled = id === undefined && changed.every((p) => valueAt(config, p) === undefined);
        if (!filled) {
          for (const p of changed) touched.current.add(fieldId(idPrefix, p));
          for (const p of changed) edited.current.add(fieldId(idPrefix, p));
        }
        onChange(next);
      }}
    />
  );
}
