// Small building blocks shared by the settings pages and plugins' screens (@enishi/plugin-ui lends them): labelled
// fields with their server errors as Ant Design form items, the error summary above a form as an Alert, and a
// read-only text with a copy button.
import { Alert, Button, Form, Input, Space, Typography } from "antd";
import {
  Children,
  cloneElement,
  isValidElement,
  useCallback,
  useId,
  useState,
  type ReactElement,
  type ReactNode,
} from "react";
import { useTranslation } from "react-i18next";
import { errorsWithin, formErrors, listedProblems, NO_ERRORS, type FormErrors } from "./errors";

/** The children with `id` given to the first control that has none (a datalist beside it is not one). */
function withControlId(children: ReactNode, id: string): ReactNode {
  let given = false;
  return Children.map(children, (child) => {
    if (given || !isValidElement(child) || child.type === "datalist") return child;
    given = true;
    const element = child as ReactElement<{ id?: string }>;
    return element.props.id ? element : cloneElement(element, { id });
  });
}

/** One control in a form item: its label above (naming the control by its id), the hint and the server's
 * messages for that field underneath, the item in its error state while there are some. Without `id` the first
 * control inside gets one. */
export function Field({
  label,
  name,
  errors,
  hint,
  children,
  className,
  id,
}: {
  label: string;
  name: string;
  errors: FormErrors;
  hint?: string;
  children: ReactNode;
  className?: string;
  id?: string;
}) {
  const own = useId();
  const control = id ?? own;
  const messages = errorsWithin(errors, name);
  return (
    <Form.Item
      className={`field ${messages.length ? "has-error " : ""}${className ?? ""}`.trim()}
      data-field={name}
      label={label}
      htmlFor={control}
      layout="vertical"
      colon={false}
      validateStatus={messages.length ? "error" : undefined}
      help={
        messages.length
          ? messages.map((m, i) => (
              <div key={i} className="field-error" role="alert">
                {m}
              </div>
            ))
          : undefined
      }
      extra={hint}
    >
      {id ? children : withControlId(children, control)}
    </Form.Item>
  );
}

/** The messages of one field, for fields that are not a single input (lists, groups of checkboxes). */
export function FieldErrors({ errors, name, exact }: { errors: FormErrors; name: string; exact?: boolean }) {
  // exact: only the list's own messages, when its items show theirs next to their inputs
  const messages = exact ? errors.fields[name] ?? [] : errorsWithin(errors, name);
  if (!messages.length) return null;
  return (
    <div className="field-errors" data-field={name}>
      {messages.map((m, i) => (
        <Typography.Paragraph key={i} type="danger" className="field-error" role="alert">
          {m}
        </Typography.Paragraph>
      ))}
    </div>
  );
}

/** The error's message, and messages of fields the form does not show. */
export function FormProblems({ errors, shown }: { errors: FormErrors; shown: string[] }) {
  if (!errors.message) return null;
  const rest = listedProblems(errors, shown);
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

/** Runs a request, keeping its errors for the form (and clearing them when it succeeds). */
export function useSubmit(): {
  errors: FormErrors;
  busy: boolean;
  submit: <T>(work: () => Promise<T>) => Promise<T | undefined>;
  clear: () => void;
} {
  const { i18n } = useTranslation();
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const submit = useCallback(
    async <T,>(work: () => Promise<T>): Promise<T | undefined> => {
      setBusy(true);
      try {
        const result = await work();
        setErrors(NO_ERRORS);
        return result;
      } catch (error) {
        setErrors(formErrors(error, i18n.language));
        return undefined;
      } finally {
        setBusy(false);
      }
    },
    [i18n.language],
  );
  return { errors, busy, submit, clear: useCallback(() => setErrors(NO_ERRORS), []) };
}

/** A read-only text (a URL) with a button that copies it. */
export function CopyField({ value, label }: { value: string; label: string }) {
  const { t } = useTranslation();
  const id = useId();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      // No clipboard access (an insecure page): select the text so that the user can copy it.
      const input = document.getElementById(id) as HTMLInputElement | null;
      input?.select();
      document.execCommand?.("copy");
    }
    setCopied(true);
    window.setTimeout(() => setCopied(false), 2000);
  };
  return (
    <Space.Compact className="copy-field">
      <Input id={id} readOnly value={value} aria-label={label} onFocus={(e) => e.target.select()} />
      <Button onClick={() => void copy()}>{copied ? t("settings.copied") : t("settings.copy")}</Button>
    </Space.Compact>
  );
}

export function Swatch({ color }: { color: string }) {
  return <span className="swatch" style={{ background: color }} aria-hidden />;
}

/** A colour to pick (a tag's, a mark's, a card's), as the browser's own picker: antd's ColorPicker opens from a
 * trigger that cannot be reached or named from the keyboard. Labelled by its field through `id`. */
export function ColorInput({ id, value, onChange }: { id: string; value: string; onChange: (color: string) => void }) {
  return <Input id={id} type="color" style={{ width: 56, padding: 2 }} value={value} onChange={(e) => onChange(e.target.value)} />;
}
