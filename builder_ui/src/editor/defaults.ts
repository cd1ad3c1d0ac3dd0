import { getDefaultFormState, type RJSFSchema } from "@rjsf/utils";
import validator from "@rjsf/validator-ajv8";
import { formSchema } from "../forms/schema";
import type { NodeTypeDef } from "../types";

// Lists start empty: a "1 to 5 messages" list is not given an empty message to fill.
export const DEFAULT_FORM_STATE = { arrayMinItems: { populate: "never" as const } };

/** A new node's config: the defaults its schema declares. */
export function defaultConfig(type: NodeTypeDef): Record<string, unknown> {
  try {
    const schema = formSchema(type.config_schema) as RJSFSchema;
    return (getDefaultFormState(validator, schema, {}, schema, false, DEFAULT_FORM_STATE) ?? {}) as Record<
      string,
      unknown
    >;
  } catch {
    return {};
  }
}
