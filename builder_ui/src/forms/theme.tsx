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
  TranslatableString,
  type ArrayFieldTemplateItemType,
  type IconButtonProps,
  type TemplatesType,
} from "@rjsf/utils";
import { Button, ConfigProvider, Space, type ThemeConfig } from "antd";
import type { ComponentProps, ReactNode } from "react";

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
  return (
    <ConfigProvider theme={DENSE}>
      <ThemedForm formContext={FORM_CONTEXT} {...props} className={`rjsf schema-form ${props.className ?? ""}`.trim()} />
    </ConfigProvider>
  );
}
