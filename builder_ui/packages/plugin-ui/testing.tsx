// For the tests of a plugin's console module (with the console's Vitest): its screens drawn as in the console,
// and Ant Design's selects used as a person does. Not part of the module's runtime (@enishi/plugin-ui).
import { fireEvent, screen, waitFor } from "@testing-library/react";

/** render(ui, inConsole): `ui` in the console's theme and language (antd's texts in Japanese), inside its router. */
export { inConsole } from "../../src/test/router";

const OPEN = ".ant-select-dropdown:not(.ant-select-dropdown-hidden)";

// A mouse-down on the select's box opens its list, and another closes it.
const expanded = (select: HTMLElement) => select.getAttribute("aria-expanded") === "true";
const open = (select: HTMLElement) => expanded(select) || fireEvent.mouseDown(select);
const close = (select: HTMLElement) => expanded(select) && fireEvent.mouseDown(select);

/** Opens an antd Select (its combobox, as found by its label) and answers the texts of the options offered. */
export async function optionsOf(select: HTMLElement): Promise<string[]> {
  open(select);
  const list = await waitFor(() => {
    const open = document.querySelectorAll(`${OPEN} .ant-select-item-option-content`);
    if (!open.length) throw new Error("no open list of options");
    return open;
  });
  const texts = [...list].map((o) => o.textContent ?? "");
  close(select);
  return texts;
}

/** Opens an antd Select and clicks the option called exactly `label`. */
export async function choose(select: HTMLElement, label: string): Promise<void> {
  open(select);
  const option = await waitFor(() => {
    const found = [...document.querySelectorAll(`${OPEN} .ant-select-item-option`)].find(
      (o) => o.querySelector(".ant-select-item-option-content")?.textContent === label,
    );
    if (!found) throw new Error(`no option ${label}`);
    return found;
  });
  fireEvent.click(option);
}

/** Answers an open Popconfirm (a delete's question) with its button called `button`; answers the question. */
export async function answerPopconfirm(button: string): Promise<string> {
  const popup = await waitFor(() => {
    const open = document.querySelector(".ant-popconfirm:not(.ant-popover-hidden)");
    if (!open) throw new Error("no open Popconfirm");
    return open as HTMLElement;
  });
  const question = popup.querySelector(".ant-popconfirm-title")?.textContent ?? "";
  const found = [...popup.querySelectorAll("button")].find((b) => b.textContent === button);
  if (!found) throw new Error(`no button ${button} in the Popconfirm`);
  fireEvent.click(found);
  return question;
}

/** What an antd Select shows as chosen ("" for nothing). */
export function chosen(select: HTMLElement): string {
  return select.closest(".ant-select")?.querySelector(".ant-select-selection-item")?.textContent ?? "";
}

/** Whether an antd Select can be changed. */
export const disabled = (select: HTMLElement): boolean => Boolean(select.closest(".ant-select-disabled"));

export { screen };
