// A form's problems said the way a person reads them, "日本語 / English", per JSON Schema keyword: the field by its
// schema title, choices by their titles, and for an anyOf / oneOf of required fields which fields to fill. These
// are the very texts the server says (core/enishi/schema_messages.py; schema_message_cases.json holds the cases
// both sides are tested with), so a problem the server finds reads like the one the form shows.
// A schema may give its own text per keyword: "x-messages": {"pattern": "半角数字で / Digits only"}.
import type { ErrorObject } from "ajv";

type Schema = Record<string, unknown>;
type Texts = [string, string];

/** One problem: where (a JSON path such as "$.messages[0].text", as the server names it) and what. */
export interface SaidProblem {
  path: string;
  message: string;
}

const isObject = (v: unknown): v is Schema => !!v && typeof v === "object" && !Array.isArray(v);

const FORMATS: Record<string, Texts> = {
  time: ["「09:30」の形で入力してください", "enter a time like 09:30"],
  date: ["「2026-04-01」の形で入力してください", "enter a date like 2026-04-01"],
  "date-time": ["日時の形で入力してください", "enter a date and time"],
  email: ["メールアドレスの形で入力してください", "enter an email address"],
  uri: ["「https://」で始まるURLを入力してください", "enter a URL starting with https://"],
  iri: ["「https://」で始まるURLを入力してください", "enter a URL starting with https://"],
  "uri-reference": ["URLを入力してください", "enter a URL"],
  "iri-reference": ["URLを入力してください", "enter a URL"],
  regex: ["正しい正規表現を入力してください", "enter a valid regular expression"],
  uuid: ["UUIDの形で入力してください", "enter a UUID"],
  hostname: ["ホスト名を入力してください", "enter a host name"],
  ipv4: ["IPアドレスを入力してください", "enter an IP address"],
  ipv6: ["IPアドレスを入力してください", "enter an IP address"],
};
const TYPES: Record<string, Texts> = {
  integer: ["整数で入力してください", "enter a whole number"],
  number: ["数値で入力してください", "enter a number"],
  string: ["文字で入力してください", "enter text"],
};
const NOT_ALLOWED: Texts = ["値が正しくありません", "has a value that is not allowed"];

/** A schema title ("日本語 / English" or {ja, en}) as [日本語, English]. */
export function splitText(value: unknown): Texts {
  if (isObject(value)) {
    const ja = String(value.ja || value.en || "");
    return [ja, String(value.en || value.ja || "")];
  }
  if (typeof value !== "string") return ["", ""];
  const parts = value.split(" / ");
  return parts.length === 2 ? [parts[0], parts[1]] : [value, value];
}

const both = (ja: string, en: string) => `${ja} / ${en}`;
const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const about = ([tJa, tEn]: Texts, ja: string, en: string) =>
  both(tJa ? `${tJa}は${ja}` : ja, tEn ? `${tEn}: ${en}` : capital(en));
const enter = ([tJa, tEn]: Texts) => (tJa ? both(`${tJa}を入力してください`, `Enter ${tEn}`) : both("入力してください", "This is required"));
const valueText = (v: unknown) => (v === true ? "オン" : v === false ? "オフ" : String(v));

function choices(schema: Schema): Texts[] | null {
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => [valueText(v), valueText(v)]);
  for (const key of ["oneOf", "anyOf"]) {
    const branches = schema[key];
    if (Array.isArray(branches) && branches.length > 0 && branches.every((b) => isObject(b) && "const" in b)) {
      return (branches as Schema[]).map((b) => ("title" in b ? splitText(b.title) : [valueText(b.const), valueText(b.const)]));
    }
  }
  return null;
}

const choose = (title: Texts, options: Texts[]) =>
  about(title, "次から選んでください: " + options.map((o) => o[0]).join("、"), "choose one of " + options.map((o) => o[1]).join(", "));

/** The branches' required fields, when every branch only says which fields are needed (and maybe how). */
function requiredSets(branches: unknown): string[][] | null {
  if (!Array.isArray(branches) || branches.length === 0) return null;
  if (!branches.every((b) => isObject(b) && Array.isArray(b.required) && b.required.length > 0 && !("type" in b))) return null;
  return (branches as Schema[]).map((b) => (b.required as string[]).map(String));
}

/** The schemas along a schema path ("#/properties/wait/anyOf/0/required" without its keyword), the root first. */
function resolve(root: Schema, parts: string[]): Schema[] {
  const chain = [root];
  let node: unknown = root;
  for (const part of parts) {
    if (isObject(node) && part in node) node = node[part];
    else if (Array.isArray(node) && /^\d+$/.test(part) && Number(part) < node.length) node = node[Number(part)];
    else break;
    if (isObject(node)) chain.push(node);
  }
  return chain;
}

function propertyTitle(chain: Schema[], name: string): Texts {
  for (const schema of [...chain].reverse()) {
    const prop = isObject(schema.properties) ? schema.properties[name] : undefined;
    if (isObject(prop) && "title" in prop) return splitText(prop.title);
  }
  return ["", ""];
}

function own(schema: unknown, keyword: string): string | null {
  const custom = isObject(schema) ? schema["x-messages"] : undefined;
  if (!isObject(custom) || !(typeof custom[keyword] === "string" || isObject(custom[keyword]))) return null;
  return both(...splitText(custom[keyword]));
}

function union(chain: Schema[], sets: string[][]): Texts[] {
  const seen: string[] = [];
  for (const names of sets) for (const n of names) if (!seen.includes(n)) seen.push(n);
  return seen.map((n) => {
    const t = propertyTitle(chain, n);
    return t[0] ? t : [n, n];
  });
}

function fillOne(names: Texts[], only = false): string {
  const ja = names.map((n) => n[0]).join("・");
  const en = names.map((n) => n[1]).join(", ");
  return only ? both(`${ja}のどれか一つだけにしてください`, `Only one of: ${en}`) : both(`${ja}のどれかを入力してください`, `Fill in one of: ${en}`);
}

function simple(keyword: string, value: unknown, title: Texts): string {
  if ((keyword === "minLength" && value === 1) || keyword === "minProperties") return enter(title);
  if (keyword === "format") {
    return about(title, ...(FORMATS[String(value)] ?? ["正しい形で入力してください", "enter a valid value"]));
  }
  if (keyword === "type") {
    const kinds = Array.isArray(value) ? value : String(value).split(",");
    const kind = kinds.map(String).find((t) => t !== "null") ?? "";
    return about(title, ...(TYPES[kind] ?? NOT_ALLOWED));
  }
  const n = value;
  const texts: Record<string, Texts> = {
    minLength: [`${n}文字以上にしてください`, `at least ${n} characters`],
    maxLength: [`${n}文字以内にしてください`, `at most ${n} characters`],
    minimum: [`${n}以上にしてください`, `must be ${n} or more`],
    maximum: [`${n}以下にしてください`, `must be ${n} or less`],
    exclusiveMinimum: [`${n}より大きくしてください`, `must be more than ${n}`],
    exclusiveMaximum: [`${n}より小さくしてください`, `must be less than ${n}`],
    multipleOf: [`${n}の倍数にしてください`, `must be a multiple of ${n}`],
    minItems: [`${n}件以上にしてください`, `add at least ${n}`],
    maxItems: [`${n}件までにしてください`, `at most ${n}`],
    uniqueItems: ["同じものが重複しています", "has the same value twice"],
    pattern: ["書き方が正しくありません", "is not in the expected form"],
    additionalProperties: ["使えない項目があります", "has a field that is not allowed"],
    not: ["この組み合わせは使えません", "this combination is not allowed"],
  };
  return about(title, ...(texts[keyword] ?? NOT_ALLOWED));
}

/** "/messages/0/text" → "$.messages[0].text". */
function jsonPath(pointer: string, extra: string[] = []): string {
  const parts = [...pointer.split("/").slice(1), ...extra].map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  return "$" + parts.map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join("");
}

const schemaParts = (schemaPath: string) =>
  schemaPath
    .replace(/^#\/?/, "")
    .split("/")
    .filter((p) => p !== "")
    .map((p) => decodeURIComponent(p.replace(/~1/g, "/").replace(/~0/g, "~")));

const underPointer = (inner: string, outer: string) => inner === outer || inner.startsWith(outer + "/");

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function valueAt(data: unknown, pointer: string): unknown {
  let node = data;
  for (const part of pointer.split("/").slice(1)) node = (node as Record<string, unknown> | undefined)?.[part];
  return node;
}

/** Ajv's errors (allErrors) for `data` against `root`, said in plain words at the field they are about. */
export function sayProblems(errors: readonly ErrorObject[], root: Schema, data: unknown): SaidProblem[] {
  const out = new Map<string, SaidProblem>();
  for (const problem of sayAll(errors.filter((e) => e.keyword !== "if"), root, data)) out.set(`${problem.path}\n${problem.message}`, problem);
  return [...out.values()];
}

function sayAll(errors: readonly ErrorObject[], root: Schema, data: unknown): SaidProblem[] {
  const combos = errors.filter((e) => e.keyword === "anyOf" || e.keyword === "oneOf");
  const contextOf = (c: ErrorObject) =>
    errors.filter((e) => e !== c && e.schemaPath.startsWith(c.schemaPath + "/") && underPointer(e.instancePath, c.instancePath));
  const outer = combos.filter((c) => !combos.some((o) => o !== c && contextOf(o).includes(c)));
  const inside = new Set(outer.flatMap(contextOf));
  return errors.filter((e) => !inside.has(e)).flatMap((e) => (outer.includes(e) ? combinator(e, contextOf(e), root, data) : [say(e, root)]));
}

function say(error: ErrorObject, root: Schema): SaidProblem {
  const parts = schemaParts(error.schemaPath);
  const chain = resolve(root, parts.slice(0, -1));
  const schema = chain[chain.length - 1];
  const title = splitText(schema.title);
  const params = error.params as Record<string, unknown>;
  const at = (extra: string[] = []) => jsonPath(error.instancePath, extra);
  switch (error.keyword) {
    case "required":
    case "dependentRequired": {
      const missing = String(params.missingProperty);
      const prop = isObject(schema.properties) ? schema.properties[missing] : undefined;
      return { path: at([missing]), message: own(prop, "required") ?? enter(propertyTitle(chain, missing)) };
    }
  }
  const custom = own(schema, error.keyword);
  if (custom) return { path: at(), message: custom };
  switch (error.keyword) {
    case "not":
      return refused(error, chain);
    case "additionalProperties":
    case "unevaluatedProperties":
      return {
        path: at([String(params.additionalProperty ?? params.unevaluatedProperty)]),
        message: both("この項目は使えません", "This field is not allowed"),
      };
    case "enum":
      return { path: at(), message: choose(title, choices(schema) ?? []) };
    case "format":
      return { path: at(), message: simple("format", params.format, title) };
    case "type":
      return { path: at(), message: simple("type", params.type, title) };
    case "uniqueItems":
      return { path: at(), message: simple("uniqueItems", null, title) };
    case "multipleOf":
      return { path: at(), message: simple("multipleOf", params.multipleOf, title) };
    default:
      return { path: at(), message: simple(error.keyword, params.limit, title) };
  }
}

/** A `not` of required fields: those fields cannot be used together with the rest. */
function refused(error: ErrorObject, chain: Schema[]): SaidProblem {
  const schema = chain[chain.length - 1];
  const names = isObject(schema.not) && Array.isArray(schema.not.required) ? schema.not.required.map(String) : [];
  if (names.length === 0) return { path: jsonPath(error.instancePath), message: simple("not", null, ["", ""]) };
  const titles = union(chain, [names]);
  const ja = titles.map((t) => `「${t[0]}」`).join("・");
  const en = titles.map((t) => t[1]).join(", ");
  return {
    path: jsonPath(error.instancePath, names.length === 1 ? names : []),
    message: both(`${ja}はこの組み合わせでは使えません`, `${en} cannot be used with this choice`),
  };
}

function combinator(error: ErrorObject, context: ErrorObject[], root: Schema, data: unknown): SaidProblem[] {
  const chain = resolve(root, schemaParts(error.schemaPath).slice(0, -1));
  const schema = chain[chain.length - 1];
  const path = jsonPath(error.instancePath);
  const title = splitText(schema.title);
  const custom = own(schema, error.keyword);
  if (custom) return [{ path, message: custom }];
  const options = choices(schema);
  if (options) return [{ path, message: choose(title, options) }];
  const branches = schema[error.keyword] as Schema[];
  const sets = requiredSets(branches);
  const passing = (error.params as { passingSchemas?: number[] | null }).passingSchemas;
  if (sets) {
    if (passing && passing.length > 1) return [{ path, message: fillOne(union(chain, passing.map((i) => sets[i])), true) }];
    const not = context.find((e) => e.keyword === "not");
    if (not) return [refused(not, resolve(root, schemaParts(not.schemaPath).slice(0, -1)))];
    return [{ path, message: fillOne(union(chain, sets)) }];
  }
  if (passing && passing.length > 1) return [{ path, message: about(title, "どれか一つだけにしてください", "must match only one choice") }];
  // The branch closest to the value: one of its type first, then the one with the fewest problems.
  const value = valueAt(data, error.instancePath);
  const kind = typeOf(value);
  const prefix = error.schemaPath + "/";
  const byBranch = new Map<number, ErrorObject[]>();
  for (const e of context) {
    const index = Number(e.schemaPath.slice(prefix.length).split("/")[0]);
    byBranch.set(index, [...(byBranch.get(index) ?? []), e]);
  }
  const fits = (i: number) => {
    const type = branches[i]?.type;
    const types = Array.isArray(type) ? type : type === undefined ? [] : [type];
    return types.length === 0 || types.includes(kind) || (kind === "integer" && types.includes("number"));
  };
  const ranked = [...byBranch.entries()].sort(([a, ea], [b, eb]) => Number(fits(b)) - Number(fits(a)) || ea.length - eb.length || a - b);
  if (ranked.length === 0) return [{ path, message: simple(error.keyword, null, title) }];
  return sayAll(ranked[0][1], root, data);
}
