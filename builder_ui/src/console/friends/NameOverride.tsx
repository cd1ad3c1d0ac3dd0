// 管理用の名前: the name staff call a friend by (a real name, "田中様"), shown in the console instead of the LINE
// name. Edited in place on the friend page; an empty name clears it (the LINE name shows again).
import { Button, Form, Input, Space } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { api, errorText, workspaceUrl } from "../../api";
import type { Profile } from "./types";

export const NAME_OVERRIDE_MAX = 100;

/** The problem with a name as typed, in the UI's words (null: it can be saved). */
export function nameProblem(value: string, t: (key: string, options?: Record<string, unknown>) => string): string | null {
  if (value.trim().length > NAME_OVERRIDE_MAX) return t("friends.name_override.too_long", { max: NAME_OVERRIDE_MAX });
  return null;
}

export function NameOverrideEditor({
  workspaceId,
  profile,
  canEdit,
  onSaved,
}: {
  workspaceId: number;
  profile: Profile;
  canEdit: boolean;
  onSaved: (profile: Profile) => void;
}) {
  const { t } = useTranslation();
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState("");
  const [saving, setSaving] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  if (!canEdit) return null;
  if (!editing)
    return (
      <Button
        size="small"
        onClick={() => {
          setValue(profile.name_override ?? "");
          setFailure(null);
          setEditing(true);
        }}
      >
        {profile.name_override ? t("friends.name_override.edit") : t("friends.name_override.add")}
      </Button>
    );
  const problem = nameProblem(value, t);
  const save = async () => {
    if (problem) return; // the field already says why
    setSaving(true);
    try {
      const saved = await api.patch<Profile>(workspaceUrl(workspaceId, `/friends/${profile.id}`), {
        name_override: value.trim() || null,
      });
      onSaved(saved);
      setEditing(false);
    } catch (e) {
      setFailure(errorText(e));
    } finally {
      setSaving(false);
    }
  };
  return (
    <Form layout="vertical" className="name-override" onFinish={() => void save()}>
      <Form.Item
        label={t("friends.name_override.label")}
        htmlFor="friend-name-override"
        validateStatus={problem || failure ? "error" : undefined}
        help={problem ?? failure ?? t("friends.name_override.help")}
      >
        <Input id="friend-name-override" value={value} autoFocus onChange={(e) => setValue(e.target.value)} />
      </Form.Item>
      <Space>
        <Button type="primary" htmlType="submit" loading={saving} disabled={problem !== null}>
          {t("friends.name_override.save")}
        </Button>
        <Button onClick={() => setEditing(false)}>{t("friends.name_override.cancel")}</Button>
      </Space>
    </Form>
  );
}
