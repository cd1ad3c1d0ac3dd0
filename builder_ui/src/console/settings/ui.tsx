// Small building blocks shared by the settings pages and plugins' screens: labelled fields with their server
// errors, the error summary above a form, and a copy button. No Ant Design here: @enishi/plugin-ui hands these
// to plugins' modules, and its chunk is read before a module's first screen (antd would make it wait).
import { useCallback, useId, useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { errorsWithin, formErrors, listedProblems, NO_ERRORS, type FormErrors } from "./errors";

/** A label around one input, with the server's messages for that field underneath. Given `id` (the id of an
 * Ant Design control inside, which a wrapping label would click a second time), the label names it by `for`. */
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
  const messages = errorsWithin(errors, name);
  const classes = `field ${messages.length ? "has-error " : ""}${className ?? ""}`;
  const below = (
    <>
      {hint && <span className="muted small">{hint}</span>}
      {messages.map((m, i) => (
        <span key={i} className="field-error" role="alert">
          {m}
        </span>
      ))}
    </>
  );
  if (id) {
    return (
      <div className={classes} data-field={name}>
        <label className="field-label" htmlFor={id}>
          {label}
        </label>
        {children}
        {below}
      </div>
    );
  }
  return (
    <label className={classes} data-field={name}>
      <span className="field-label">{label}</span>
      {children}
      {below}
    </label>
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
        <p key={i} className="field-error" role="alert">
          {m}
        </p>
      ))}
    </div>
  );
}

/** The error's message, and messages of fields the form does not show. */
export function FormProblems({ errors, shown }: { errors: FormErrors; shown: string[] }) {
  if (!errors.message) return null;
  const rest = listedProblems(errors, shown);
  return (
    <div className="form-problems" role="alert">
      <p>{errors.message}</p>
      {rest.length > 0 && (
        <ul>
          {rest.map((m, i) => (
            <li key={i}>{m}</li>
          ))}
        </ul>
      )}
    </div>
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
    <span className="copy-field">
      <input id={id} readOnly value={value} aria-label={label} onFocus={(e) => e.target.select()} />
      <button type="button" className="small" onClick={copy}>
        {copied ? t("settings.copied") : t("settings.copy")}
      </button>
    </span>
  );
}

export function Swatch({ color }: { color: string }) {
  return <span className="swatch" style={{ background: color }} aria-hidden />;
}
