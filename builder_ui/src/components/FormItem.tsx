// A labelled form field in the components' look: Ant Design's form item with its error state, the hint, and the
// server's messages for the field under it.
import { Form } from "antd";
import type { ReactNode } from "react";

export function FormItem({
  id,
  label,
  messages = [],
  hint,
  alert = false,
  name,
  children,
}: {
  /** The control's id, which the label names. */
  id: string;
  label: string;
  /** The field's messages, in the UI's language. */
  messages?: string[];
  hint?: string;
  /** Each message said as an alert when it appears (forms whose fields are few and whose answers come at once). */
  alert?: boolean;
  /** The field's key, as data-field (for forms that place messages by key). */
  name?: string;
  children: ReactNode;
}) {
  const invalid = messages.length > 0;
  return (
    <Form.Item
      className={invalid ? "field invalid" : "field"}
      label={label}
      htmlFor={id}
      layout="vertical"
      data-field={name}
      validateStatus={invalid ? "error" : undefined}
      help={
        invalid
          ? messages.map((m, i) => (
              <span key={i} className="error small" id={i === 0 ? `${id}-error` : undefined} role={alert ? "alert" : undefined}>
                {m}
              </span>
            ))
          : undefined
      }
      extra={hint}
    >
      {children}
    </Form.Item>
  );
}
