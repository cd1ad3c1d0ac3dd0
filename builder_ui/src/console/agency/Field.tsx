// A labelled form field with its hint and the API's messages for it ("日本語 / English" shown in one language),
// in the components' look (Ant Design's form item, with its error state).
import { Form } from "antd";
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
  const invalid = Boolean(errors?.length);
  return (
    <Form.Item
      className={invalid ? "field invalid" : "field"}
      label={label}
      htmlFor={id}
      layout="vertical"
      validateStatus={invalid ? "error" : undefined}
      help={
        invalid
          ? errors?.map((m) => (
              <span key={m} className="error small" id={`${id}-error`}>
                {localized(m, i18n.language)}
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
