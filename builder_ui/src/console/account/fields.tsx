// The account forms' labelled field: Ant Design's form item, its error state and the server's messages for it,
// each said as an alert. The form's other problems are the settings forms' FormProblems.
import type { ReactNode } from "react";
import { FormItem } from "../../components/FormItem";
import { errorsWithin, type FormErrors } from "../settings/errors";

/** A field of an account form: its messages said as alerts. */
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
  return (
    <FormItem id={id} label={label} name={name} messages={errorsWithin(errors, name)} alert>
      {children}
    </FormItem>
  );
}
