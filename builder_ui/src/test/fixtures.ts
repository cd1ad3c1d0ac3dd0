// A small catalog shaped like the server's, for the tests.
import type { NodeTypeDef } from "../types";

const port = (name: string, ja: string) => ({ name, label: { ja, en: name } });

function type(key: string, kind: NodeTypeDef["kind"], extra: Partial<NodeTypeDef> = {}): NodeTypeDef {
  return {
    key,
    kind,
    version: 1,
    plugin: key.split(".")[0],
    label: { ja: key, en: key },
    description: null,
    config_schema: { type: "object", properties: {} },
    ui_schema: {},
    inputs: kind === "trigger" ? [] : [port("in", "入力")],
    outputs: kind === "condition" ? [port("yes", "はい"), port("no", "いいえ")] : [port("next", "次へ")],
    allowed_targets: null,
    deprecated: false,
    ...extra,
  };
}

export const NODE_TYPES: NodeTypeDef[] = [
  type("core.friend_followed", "trigger", { label: { ja: "友だち追加されたとき", en: "Friend added" } }),
  type("core.wait_delay", "wait", {
    config_schema: {
      type: "object",
      properties: {
        days: { type: "integer", default: 0, title: "日 / Days" },
        hours: { type: "integer", default: 0, title: "時間 / Hours" },
        minutes: { type: "integer", default: 0, title: "分 / Minutes" },
      },
      anyOf: [{ required: ["days"] }, { required: ["hours"] }, { required: ["minutes"] }],
    },
  }),
  type("core.wait_until_time", "wait", {
    config_schema: {
      type: "object",
      properties: { days_after: { type: "integer", default: 0 }, time: { type: "string" } },
      required: ["time"],
    },
  }),
  type("messages.send_messages", "action", {
    config_schema: {
      type: "object",
      properties: { messages: { type: "array", items: { type: "object" }, minItems: 1, maxItems: 5 } },
    },
    ui_schema: { messages: { "ui:field": "lineMessages", "ui:options": { preview: "/messages/preview" } } },
  }),
  type("tags.add_tag", "action", {
    label: { ja: "タグを付ける", en: "Add tags" },
    config_schema: {
      type: "object",
      properties: { tag_ids: { type: "array", title: "タグ / Tags", items: { type: "integer" } } },
      required: ["tag_ids"],
    },
  }),
  type("tags.has_tags", "condition"),
  type("probe.only_to_tags", "action", { allowed_targets: ["tags.add_tag"] }),
];
