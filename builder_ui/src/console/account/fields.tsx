// The account forms' building blocks in the components' look: a labelled field (Ant Design's form item, its
// error state and the server's messages for it, each said as an alert) and the form's other problems as an Alert.
import { Alert } from "antd";
import type { ReactNode } from "react";
import { FormItem } from "../../components/FormItem";
import { errorsWithin, listedProblems, type FormErrors } from "../settings/errors";

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

/** The error's message, and messages of fields the form does not show. */
export function Problems({ errors, shown }: { errors: FormErrors; shown: string[] }) {
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
