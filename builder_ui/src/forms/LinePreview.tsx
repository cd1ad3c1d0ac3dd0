// A LINE-like talk screen for messages: bubbles for text, pictures, and button cards. Variables still written
// as such ({{friend.display_name}}: no preview route filled them in, or not yet) show an example friend's values.
import type { TFunction } from "i18next";
import { useMemo } from "react";
import { useTranslation } from "react-i18next";

type Message = Record<string, unknown>;
type Action = { type?: string; label?: string; uri?: string; text?: string };

const PLACEHOLDER = /\{\{\s*([a-z][a-z0-9_]*)\.([A-Za-z0-9_][A-Za-z0-9_-]*)\s*(?:\|([^}]*))?\}\}/g;

/** A text with its variables as an example friend's: a name for the friend's names, else the variable's
 * default, else a blank to fill ("〇〇"). */
export function exampleText(text: string, t: TFunction): string {
  return text.replace(PLACEHOLDER, (_all, ns: string, key: string, fallback?: string) => {
    if (ns === "friend" && (key === "display_name" || key === "name")) return t("message_editor.example_name");
    if (ns === "friend" && key === "id") return "1234";
    return fallback?.trim() || t("message_editor.example_value");
  });
}

function withExample(value: unknown, t: TFunction): unknown {
  if (typeof value === "string") return value.includes("{{") ? exampleText(value, t) : value;
  if (Array.isArray(value)) return value.map((v) => withExample(v, t));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withExample(v, t)]));
  }
  return value;
}

export function LinePreview({ messages: written, accountName }: { messages: Message[]; accountName?: string }) {
  const { t } = useTranslation();
  const messages = useMemo(() => withExample(written, t) as Message[], [written, t]);
  return (
    <div className="line-preview" aria-label={t("message_editor.preview")} role="region">
      <div className="line-head">{accountName ?? t("message_editor.account")}</div>
      <ol className="line-talk">
        {messages.map((m, i) => (
          <li key={i} className="line-row">
            <span className="line-avatar" aria-hidden="true">
              縁
            </span>
            <PreviewMessage message={m} />
          </li>
        ))}
      </ol>
    </div>
  );
}

function PreviewMessage({ message }: { message: Message }) {
  const { t } = useTranslation();
  switch (message.type) {
    case "text":
      return <p className="line-bubble">{String(message.text ?? "")}</p>;
    case "image":
      return message.previewImageUrl || message.originalContentUrl ? (
        <img className="line-image" alt={t("message_editor.image")} src={String(message.previewImageUrl || message.originalContentUrl)} />
      ) : (
        <p className="line-bubble muted">{t("message_editor.image")}</p>
      );
    case "sticker":
      return <p className="line-bubble">{t("message_editor.sticker")}</p>;
    case "template": {
      const template = (message.template ?? {}) as Record<string, unknown>;
      const actions = (template.actions ?? []) as Action[];
      return (
        <div className="line-card" role="group" aria-label={String(message.altText ?? "")}>
          {typeof template.thumbnailImageUrl === "string" && template.thumbnailImageUrl && (
            <img className="line-card-image" alt="" src={template.thumbnailImageUrl} />
          )}
          {typeof template.title === "string" && template.title && (
            <p className="line-card-title">{template.title}</p>
          )}
          <p className="line-card-text">{String(template.text ?? "")}</p>
          <ul className="line-card-actions">
            {actions.map((a, i) => (
              <li key={i}>{a.label}</li>
            ))}
          </ul>
        </div>
      );
    }
    default:
      return <p className="line-bubble muted">{String(message.altText ?? message.type ?? "?")}</p>;
  }
}
