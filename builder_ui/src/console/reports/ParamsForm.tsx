// A report's parameter form, generated from its JSON Schema (RJSF with ajv8), with the registry's pickers, an
// editor for registered conditions (funnel stages, conversion, buckets) and a picker of saved segments.
import Form from "@rjsf/core";
import type { ErrorSchema, FieldProps, RegistryFieldsType, RegistryWidgetsType, RJSFSchema } from "@rjsf/utils";
import { customizeValidator } from "@rjsf/validator-ajv8";
import localizeJa from "ajv-i18n/localize/ja";
import { useQuery } from "@tanstack/react-query";
import { createContext, useContext, useMemo, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { api, workspaceUrl } from "../../api";
import { DEFAULT_FORM_STATE } from "../../editor/defaults";
import { LookupContext, LookupWidget, useLookups } from "../../forms/pickers";
import { decorateUiSchema, formSchema, localizeSchema } from "../../forms/schema";
import { localized } from "../../i18n";
import { queryClient, queryKeys } from "../../query";
import type { NodeTypeDef } from "../../types";
import { reportUiSchema, withBranchDefaults } from "./params";
import type { ErrorTree } from "./results";

// Optional objects (a conversion condition) stay absent until filled in, instead of an empty object the
// schema refuses.
const FORM_STATE = { ...DEFAULT_FORM_STATE, emptyObjectFields: "populateRequiredDefaults" as const };

const validators = {
  ja: customizeValidator({}, localizeJa as Parameters<typeof customizeValidator>[1]),
  en: customizeValidator(),
};

/** The conditions a segment may use in this workspace (from the catalog), for the condition editor. */
export const ConditionsContext = createContext<NodeTypeDef[]>([]);

type Value = Record<string, unknown>;
const asValue = (v: unknown): Value => (v && typeof v === "object" && !Array.isArray(v) ? (v as Value) : {});
const messages = (e: unknown) => ((e as { __errors?: string[] } | undefined)?.__errors ?? []);

function Errors({ errors }: { errors: string[] }) {
  if (!errors.length) return null;
  return (
    <ul className="error-detail">
      {errors.map((m) => (
        <li key={m} className="text-danger">
          {m}
        </li>
      ))}
    </ul>
  );
}

/** {label?, type, type_version?, config}: a condition chosen from the catalog, its config from the type's schema. */
export function ConditionField(props: FieldProps) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const conditions = useContext(ConditionsContext);
  const { formData, onChange, schema, idSchema, errorSchema, disabled, readonly } = props;
  const value = asValue(formData);
  const chosen = conditions.find((c) => c.key === value.type);
  const hasLabel = !!(schema.properties as Value | undefined)?.label;
  const configSchema = useMemo(
    () => (chosen ? (formSchema(localizeSchema(chosen.config_schema, lang)) as RJSFSchema) : null),
    [chosen, lang],
  );
  const lookups = useLookups();
  const configUi = useMemo(
    () => (configSchema && chosen ? decorateUiSchema(configSchema, chosen.ui_schema, lookups ?? []) : {}),
    [configSchema, chosen, lookups],
  );
  const id = idSchema.$id;
  const title = props.uiSchema?.["ui:title"] ?? schema.title;
  return (
    <fieldset className="condition-field" id={id}>
      {title && <legend>{String(title)}</legend>}
      {hasLabel && (
        <label className="field">
          <span>{t("reports.condition_label")}</span>
          <input
            id={`${id}_label`}
            value={String(value.label ?? "")}
            disabled={disabled || readonly}
            onChange={(e) => onChange({ ...value, label: e.target.value || undefined })}
          />
        </label>
      )}
      <label className="field">
        <span>{t("reports.condition_type")}</span>
        <select
          id={`${id}_type`}
          value={String(value.type ?? "")}
          disabled={disabled || readonly}
          onChange={(e) => {
            const next = conditions.find((c) => c.key === e.target.value);
            if (!next && !value.label) return onChange(undefined);
            onChange({
              ...(value.label ? { label: value.label } : {}),
              ...(next ? { type: next.key, type_version: next.version } : {}),
              config: {},
            });
          }}
        >
          <option value="">{t("picker.choose")}</option>
          {conditions.map((c) => (
            <option key={c.key} value={c.key}>
              {localized(c.label, lang)}
            </option>
          ))}
        </select>
      </label>
      <Errors errors={[...messages(errorSchema?.type), ...messages(errorSchema)]} />
      {configSchema && Object.keys((configSchema.properties as Value | undefined) ?? {}).length > 0 && (
        <Form
          tagName="div"
          idPrefix={`${id}_config`}
          schema={configSchema}
          uiSchema={configUi}
          formData={asValue(value.config)}
          validator={lang === "en" ? validators.en : validators.ja}
          widgets={widgets}
          extraErrors={errorSchema?.config as ErrorSchema | undefined}
          experimental_defaultFormStateBehavior={DEFAULT_FORM_STATE}
          showErrorList={false}
          noHtml5Validate
          disabled={disabled || readonly}
          onChange={(e) => onChange({ ...value, config: e.formData ?? {} })}
        />
      )}
    </fieldset>
  );
}

interface SavedTab {
  id: number;
  name: string;
  segment: Value;
}

const NO_TABS: SavedTab[] = [];

/** A segment as one of the saved friend-list tabs (or all friends). */
export function SegmentField(props: FieldProps) {
  const { t } = useTranslation();
  const source = useContext(LookupContext);
  const { formData, onChange, idSchema, schema, errorSchema, disabled, readonly } = props;
  // The friend list's saved tabs (the same cached read as the friend list's).
  const workspaceId = source?.workspaceId ?? 0;
  const { data, isError } = useQuery(
    {
      queryKey: queryKeys.friendTabs(workspaceId),
      queryFn: ({ signal }) => api.get<SavedTab[]>(workspaceUrl(workspaceId, "/friends/tabs"), signal),
      enabled: source !== null,
    },
    queryClient,
  );
  const tabs = isError ? NO_TABS : (data ?? null);
  const current = formData && Object.keys(asValue(formData)).length ? JSON.stringify(formData) : null;
  const match = tabs?.find((tab) => JSON.stringify(tab.segment) === current);
  return (
    <div className="field segment-field">
      <label htmlFor={idSchema.$id}>{String(schema.title ?? t("reports.segment"))}</label>
      <select
        id={idSchema.$id}
        value={current === null ? "" : match ? String(match.id) : "custom"}
        disabled={disabled || readonly || tabs === null}
        onChange={(e) => {
          const tab = tabs?.find((x) => String(x.id) === e.target.value);
          onChange(tab ? tab.segment : undefined);
        }}
      >
        <option value="">{t("reports.everyone")}</option>
        {current !== null && !match && <option value="custom">{t("reports.custom_segment")}</option>}
        {(tabs ?? []).map((tab) => (
          <option key={tab.id} value={tab.id}>
            {tab.name}
          </option>
        ))}
      </select>
      <Errors errors={messages(errorSchema)} />
    </div>
  );
}

const widgets: RegistryWidgetsType = { lookup: LookupWidget };
const fields: RegistryFieldsType = {
  condition: ConditionField as unknown as RegistryFieldsType[string],
  segment: SegmentField as unknown as RegistryFieldsType[string],
};

export function ParamsForm({
  schema: rawSchema,
  uiSchema: rawUi,
  params,
  onChange,
  onSubmit,
  errors,
  children,
}: {
  schema: Record<string, unknown>;
  uiSchema: Record<string, unknown>;
  params: Value;
  onChange: (params: Value) => void;
  onSubmit: (params: Value) => void;
  errors: ErrorTree;
  children: ReactNode;
}) {
  const { i18n } = useTranslation();
  const lang = i18n.language;
  const schema = useMemo(() => formSchema(localizeSchema(rawSchema, lang)) as RJSFSchema, [rawSchema, lang]);
  const lookups = useLookups();
  const uiSchema = useMemo(() => reportUiSchema(schema, rawUi, lookups ?? []), [schema, rawUi, lookups]);
  return (
    <Form
      className="rjsf report-params"
      idPrefix="params"
      schema={schema}
      uiSchema={uiSchema}
      formData={params}
      validator={lang === "en" ? validators.en : validators.ja}
      widgets={widgets}
      fields={fields}
      extraErrors={errors as ErrorSchema}
      experimental_defaultFormStateBehavior={FORM_STATE}
      showErrorList={false}
      noHtml5Validate
      onChange={(e) => onChange(asValue(withBranchDefaults(rawSchema, e.formData)))}
      onSubmit={(e) => onSubmit(asValue(e.formData))}
    >
      {children}
    </Form>
  );
}
