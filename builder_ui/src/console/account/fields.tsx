// The account forms' building blocks in the components' look: a labelled field (Ant Design's form item, its
// error state and the server's messages for it, each said as an alert) and the form's other problems as an Alert.
import { Alert, Form } from "antd";
import type { ReactNode } from "react";
import { errorsWithin, unplacedErrors, type FormErrors } from "../settings/errors";

export function AccountField({
  id,
  label,
  name,
  errors,
  children,
}: {
  id: string;
  label: string;
  name: string;
  errors: FormErrors;
  children: ReactNode;
}) {
  const messages = errorsWithin(errors, name);
  return (
    <Form.Item
      className="field"
      label={label}
      htmlFor={id}
      layout="vertical"
      data-field={name}
      validateStatus={messages.length ? "error" : undefined}
      help={
        messages.length
          ? messages.map((m) => (
              <span key={m} role="alert">
                {m}
              </span>
            ))
          : undefined
      }
    >
      {children}
    </Form.Item>
  );
}

/** The error's message, and messages of fields the form does not show (a lone field message that is the error's
 * own message is not said twice). */
export function Problems({ errors, shown }: { errors: FormErrors; shown: string[] }) {
  if (!errors.message) return null;
  const rest = unplacedErrors(errors, shown).filter((m) => m !== errors.message && !m.endsWith(`: ${errors.message}`));
  return (
    <Alert
      className="form-problems"
      type="error"
      message={errors.message}
      description={
        rest.length > 0 ? (
          <ul>
            {rest.map((m, i) => (
              <li key={i}>{m}</li>
            ))}
          </ul>
        ) : undefined
      }
    />
  );
}
