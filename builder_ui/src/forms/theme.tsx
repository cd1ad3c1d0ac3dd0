// The schema forms in Ant Design: @rjsf/antd's theme (form items with their label, required mark, description
// and errors; antd's inputs, selects and date pickers), with list buttons that say what they do (an icon's own
// name would be read instead) and a compact toolbar beside each list item, for the builder's narrow side panel.
import ArrowDownOutlined from "@ant-design/icons/ArrowDownOutlined";
import ArrowUpOutlined from "@ant-design/icons/ArrowUpOutlined";
import CopyOutlined from "@ant-design/icons/CopyOutlined";
import DeleteOutlined from "@ant-design/icons/DeleteOutlined";
import PlusOutlined from "@ant-design/icons/PlusOutlined";
import { withTheme, type ThemeProps } from "@rjsf/core";
import { Theme as AntdTheme } from "@rjsf/antd";
import {
  englishStringTranslator,
  TranslatableString,
  type ArrayFieldTemplateItemType,
  type IconButtonProps,
  type TemplatesType,
} from "@rjsf/utils";
import { Button, ConfigProvider, Space, type ThemeConfig } from "antd";
import { useCallback, type ComponentProps, type ReactNode } from "react";
import { useTranslation } from "react-i18next";

// RJSF's own words (list buttons, yes/no) in the UI's language.
const RJSF_WORDS: Partial<Record<TranslatableString, string>> = {
  [TranslatableString.AddButton]: "picker.form.add",
  [TranslatableString.AddItemButton]: "picker.form.add_item",
  [TranslatableString.CopyButton]: "picker.form.copy",
  [TranslatableString.MoveDownButton]: "picker.form.move_down",
  [TranslatableString.MoveUpButton]: "picker.form.move_up",
  [TranslatableString.RemoveButton]: "picker.form.remove",
  [TranslatableString.YesLabel]: "picker.form.yes",
  [TranslatableString.NoLabel]: "picker.form.no",
  [TranslatableString.ArrayItemTitle]: "picker.form.item",
  [TranslatableString.NewStringDefault]: "picker.form.new_value",
  [TranslatableString.ClearLabel]: "picker.form.clear",
  [TranslatableString.NowLabel]: "picker.form.now",
};

/** RJSF's `translateString` in the UI's language. */
export function useRjsfWords(): (word: TranslatableString, params?: string[]) => string {
  const { t } = useTranslation();
  return useCallback(
    (word: TranslatableString, params?: string[]) => {
      const key = RJSF_WORDS[word];
      if (key) return t(key);
      if (word === TranslatableString.OptionPrefix) return t("picker.form.option", { n: params?.[0] ?? "" });
      return englishStringTranslator(word, params);
    },
    [t],
  );
}

type ButtonProps = IconButtonProps & { className?: string };

/** A list button: the icon beside the word the registry translates, the word as its accessible name. */
function listButton(word: TranslatableString, icon: ReactNode, extra: { danger?: boolean; text?: boolean } = {}) {
  return function ListButton({ registry, onClick, disabled, className, style }: ButtonProps) {
    const label = registry.translateString(word);
    return (
      <Button
        className={className}
        style={style}
        size="small"
        icon={icon}
        danger={extra.danger}
        type={extra.text ? "dashed" : "default"}
        disabled={disabled}
        onClick={onClick}
        aria-label={label}
        title={label}
      >
        {extra.text ? label : null}
      </Button>
    );
  };
}

const AddButton = listButton(TranslatableString.AddItemButton, <PlusOutlined />, { text: true });
const CopyButton = listButton(TranslatableString.CopyButton, <CopyOutlined />);
const MoveUpButton = listButton(TranslatableString.MoveUpButton, <ArrowUpOutlined />);
const MoveDownButton = listButton(TranslatableString.MoveDownButton, <ArrowDownOutlined />);
const RemoveButton = listButton(TranslatableString.RemoveButton, <DeleteOutlined />, { danger: true });

/** One list item: its fields, and beside them its buttons (move, copy, remove) in one compact group. */
function ArrayFieldItemTemplate(props: ArrayFieldTemplateItemType) {
  const { children, disabled, readonly, hasToolbar, hasMoveUp, hasMoveDown, hasCopy, hasRemove, index, registry, uiSchema } =
    props;
  const { onReorderClick, onCopyIndexClick, onDropIndexClick } = props;
  const buttons = registry.templates.ButtonTemplates;
  const off = disabled || readonly;
  return (
    <div className="array-item">
      <div className="array-item-body">{children}</div>
      {hasToolbar && (
        <Space.Compact className="array-item-toolbar">
          {(hasMoveUp || hasMoveDown) && (
            <buttons.MoveUpButton
              disabled={off || !hasMoveUp}
              onClick={onReorderClick(index, index - 1)}
              uiSchema={uiSchema}
              registry={registry}
            />
          )}
          {(hasMoveUp || hasMoveDown) && (
            <buttons.MoveDownButton
              disabled={off || !hasMoveDown}
              onClick={onReorderClick(index, index + 1)}
              uiSchema={uiSchema}
              registry={registry}
            />
          )}
          {hasCopy && <buttons.CopyButton disabled={off} onClick={onCopyIndexClick(index)} uiSchema={uiSchema} registry={registry} />}
          {hasRemove && (
            <buttons.RemoveButton disabled={off} onClick={onDropIndexClick(index)} uiSchema={uiSchema} registry={registry} />
          )}
        </Space.Compact>
      )}
    </div>
  );
}

const templates: Partial<TemplatesType> = {
  ...AntdTheme.templates,
  ArrayFieldItemTemplate,
  ButtonTemplates: {
    ...AntdTheme.templates?.ButtonTemplates,
    AddButton,
    CopyButton,
    MoveUpButton,
    MoveDownButton,
    RemoveButton,
  } as TemplatesType["ButtonTemplates"],
};

const theme: ThemeProps = { ...AntdTheme, templates };

/** How @rjsf/antd lays fields out: one a row (the side panel is narrow), labels above without a colon. */
export const FORM_CONTEXT = { colon: false, colSpan: 24, rowGutter: 12, descriptionLocation: "below" } as const;

/** Fields closer together than a page's form items: the forms sit in side panels and list items. */
const DENSE: ThemeConfig = { components: { Form: { itemMarginBottom: 12, verticalLabelPadding: "0 0 4px" } } };

const ThemedForm = withTheme(theme);

/** RJSF's Form in the console's Ant Design look. */
export function SchemaForm(props: ComponentProps<typeof ThemedForm>) {
  const translateString = useRjsfWords();
  return (
    <ConfigProvider theme={DENSE}>
      <ThemedForm formContext={FORM_CONTEXT} translateString={translateString} {...props} className={`rjsf schema-form ${props.className ?? ""}`.trim()} />
    </ConfigProvider>
  );
}
