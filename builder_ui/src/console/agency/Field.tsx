// A labelled form field with its hint and the API's messages for it ("日本語 / English" shown in one language).
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { FormItem } from "../../components/FormItem";
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
    <FormItem id={id} label={label} hint={hint} messages={errors?.map((m) => localized(m, i18n.language))}>
      {children}
    </FormItem>
  );
}
