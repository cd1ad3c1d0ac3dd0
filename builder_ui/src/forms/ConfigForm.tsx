// A node config form generated from its type's JSON Schema (RJSF with ajv8), with the registry's pickers and
// the message editor as custom widgets and fields.
import Form from "@rjsf/core";
import type { FieldProps, RegistryFieldsType, RegistryWidgetsType, RJSFSchema, WidgetProps } from "@rjsf/utils";
import { customizeValidator } from "@rjsf/validator-ajv8";
import localizeJa from "ajv-i18n/localize/ja";
import { useMemo } from "react";
import { useTranslation } from "react-i18next";
import type { NodeTypeDef } from "../types";
import { DEFAULT_FORM_STATE } from "../editor/defaults";
import { MessagesField } from "./MessagesField";
import { LookupWidget } from "./pickers";
import { decorateUiSchema, formSchema, localizeSchema } from "./schema";

function MessageTemplateWidget(props: WidgetProps) {
  return <LookupWidget {...props} options={{ ...props.options, lookup: "messages.templates", multiple: false }} />;
}

// Form errors in the UI's language (ajv's own messages are English).
const validators = {
  ja: customizeValidator({}, localizeJa as Parameters<typeof customizeValidator>[1]),
  en: customizeValidator(),
};

const widgets: RegistryWidgetsType = { lookup: LookupWidget, messageTemplate: MessageTemplateWidget };
const fields: RegistryFieldsType = { lineMessages: MessagesField as unknown as React.ComponentType<FieldProps> };

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
  const { i18n } = useTranslation();
  const lang = i18n.language;
  const schema = useMemo(
    () => formSchema(localizeSchema(nodeType.config_schema, lang)) as RJSFSchema,
    [nodeType, lang],
  );
  const uiSchema = useMemo(() => decorateUiSchema(schema, nodeType.ui_schema), [schema, nodeType]);
  const hasFields = Object.keys((schema.properties as object | undefined) ?? {}).length > 0;
  if (!hasFields) return null;
  return (
    <Form
      idPrefix={idPrefix}
      schema={schema}
      uiSchema={uiSchema}
      formData={config}
      validator={lang === "en" ? validators.en : validators.ja}
      widgets={widgets}
      fields={fields}
      liveValidate
      experimental_defaultFormStateBehavior={DEFAULT_FORM_STATE}
      showErrorList={false}
      noHtml5Validate
      onChange={(e) => onChange((e.formData ?? {}) as Record<string, unknown>)}
    />
  );
}
