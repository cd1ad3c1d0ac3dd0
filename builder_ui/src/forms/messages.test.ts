import { customizeValidator } from "@rjsf/validator-ajv8";
import { describe, expect, it } from "vitest";
import cases from "./schema_message_cases.json";
import { sayProblems } from "./messages";

const validator = customizeValidator();
const said = (schema: Record<string, unknown>, value: unknown) => {
  const { errors } = validator.rawValidation(schema, value);
  return sayProblems(errors ?? [], schema, value);
};
const byPath = (problems: { path: string; message: string }[]) =>
  [...problems].sort((a, b) => (a.path + a.message).localeCompare(b.path + b.message));

describe("form problems in plain words", () => {
  // The server is tested with the same cases (tests/test_schema_messages.py): a problem reads the same on both sides.
  it.each(cases.map((c) => [c.name, c] as const))("says what the server says: %s", (_, c) => {
    expect(byPath(said(c.schema as Record<string, unknown>, c.value))).toEqual(byPath(c.problems));
  });

  it("never shows a repr, a JSON path word or ajv's grammar", () => {
    const schema = cases[0].schema as Record<string, unknown>;
    for (const p of said(schema, { name: { a: 1 }, count: [1], match: null, items: [{ label: 5 }], extra: { days: 0 } })) {
      expect(p.message).not.toMatch(/must|should|schema|\{|\$|してはいけない|個以下/);
      expect(p.message.split(" / ")).toHaveLength(2);
    }
  });

  it("uses a schema's own words for a keyword", () => {
    const schema = {
      type: "object",
      properties: { code: { type: "string", pattern: "^[0-9]+$", "x-messages": { pattern: "半角数字で / Digits only" } } },
    };
    expect(said(schema, { code: "x" })).toEqual([{ path: "$.code", message: "半角数字で / Digits only" }]);
  });
});
