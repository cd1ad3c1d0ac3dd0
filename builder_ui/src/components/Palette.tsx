// The node types of the workspace's catalog, grouped by plugin and searchable; drag one onto the canvas
// (or press Enter on it to add it in the middle of the view).
import { Empty, Input } from "antd";
import { useMemo, useState, type DragEvent } from "react";
import { useTranslation } from "react-i18next";
import { localized } from "../i18n";
import type { NodeTypeDef } from "../types";

export const DRAG_MIME = "application/x-enishi-node-type";
const KIND_ORDER = ["trigger", "wait", "action", "condition"];

export function Palette({
  nodeTypes,
  pluginTitles,
  onAdd,
}: {
  nodeTypes: NodeTypeDef[];
  pluginTitles: Record<string, string>;
  onAdd: (key: string) => void;
}) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const [query, setQuery] = useState("");
  const groups = useMemo(() => {
    const q = query.trim().toLowerCase();
    const shown = nodeTypes.filter((n) => {
      if (n.deprecated) return false;
      if (!q) return true;
      return [n.key, n.label.ja, n.label.en ?? "", n.description?.ja ?? "", n.description?.en ?? ""].some((s) =>
        s.toLowerCase().includes(q),
      );
    });
    const byPlugin = new Map<string, NodeTypeDef[]>();
    for (const n of shown) byPlugin.set(n.plugin, [...(byPlugin.get(n.plugin) ?? []), n]);
    for (const list of byPlugin.values())
      list.sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind));
    return [...byPlugin.entries()].sort(([a], [b]) => (a === "core" ? -1 : b === "core" ? 1 : a.localeCompare(b)));
  }, [nodeTypes, query]);

  const onDragStart = (event: DragEvent, key: string) => {
    event.dataTransfer.setData(DRAG_MIME, key);
    event.dataTransfer.setData("text/plain", key);
    event.dataTransfer.effectAllowed = "move";
  };

  const groupTitle = (plugin: string) => (plugin === "core" ? t("palette.core") : pluginTitles[plugin] ?? plugin);

  return (
    <aside className="palette" aria-label={t("palette.title")}>
      <h2>{t("palette.title")}</h2>
      <Input
        type="search"
        allowClear
        className="palette-search"
        placeholder={t("palette.search")}
        aria-label={t("palette.search")}
        value={query}
        onChange={(e) => setQuery(e.target.value)}
      />
      {groups.length === 0 && <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("palette.nothing")} />}
      {groups.map(([plugin, types]) => (
        <section key={plugin} className="palette-group" aria-label={groupTitle(plugin)}>
          <h3>{groupTitle(plugin)}</h3>
          <ul>
            {types.map((n) => (
              // The list item is what is dragged; the button inside it (named by the type's label alone) adds the
              // type from the keyboard. The kind is written beside the button, not inside it.
              <li
                key={n.key}
                className={`palette-item kind-${n.kind}`}
                draggable
                data-node-type={n.key}
                title={localized(n.description, lang) || n.key}
                onDragStart={(e) => onDragStart(e, n.key)}
                onDoubleClick={() => onAdd(n.key)}
              >
                <span className="palette-kind">{t(`kind.${n.kind}`)}</span>
                <span
                  className="palette-label"
                  role="button"
                  tabIndex={0}
                  onKeyDown={(e) => {
                    if (e.key === "Enter" || e.key === " ") {
                      e.preventDefault();
                      onAdd(n.key);
                    }
                  }}
                >
                  {localized(n.label, lang)}
                </span>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </aside>
  );
}
