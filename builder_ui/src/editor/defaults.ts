import { getDefaultFormState, type RJSFSchema } from "@rjsf/utils";
import validator from "@rjsf/validator-ajv8";
import { formSchema } from "../forms/schema";
import type { NodeTypeDef } from "../types";

/** A new node's config: the defaults its schema declares. */
export function defaultConfig(type: NodeTypeDef): Record<string, unknown> {
  try {
    const schema = formSchema(type.config_schema) as RJSFSchema;
    return (getDefaultFormState(validator, schema, {}, schema) ?? {}) as Record<string, unknown>;
  } catch {
    return {};
  }
}
