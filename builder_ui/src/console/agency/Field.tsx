// A labelled form field with its hint and the API's messages for it ("日本語 / English" shown in one language).
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { localized } from "../../i18n";

export function Field({
  id,
  label,
  errors,
  children,
  hint,
}: {
  id: string;
  label: string;
  errors?: string[];
  children: ReactNode;
  hint?: string;
}) {
  const { i18n } = useTranslation();
  return (
    <div className={errors?.length ? "field invalid" : "field"}>
      <label htmlFor={id}>{label}</label>
      {children}
      {hint && <p className="muted small">{hint}</p>}
      {errors?.map((m) => (
        <p key={m} className="error small" id={`${id}-error`}>
          {localized(m, i18n.language)}
        </p>
      ))}
    </div>
  );
}

