"""Using the console's Ant Design controls from a test as a person does: a select opens a list drawn at the end of
the page, and the option is clicked there."""

from __future__ import annotations

import re

from playwright.async_api import Locator, Page, expect


async def choose(page: Page, select: Locator, label: str) -> None:
    """Opens the select (clicking its box, as a person does: the chosen value lies over the combobox's input) and
    clicks the option called exactly ``label``."""
    await select.locator("xpath=ancestor::div[contains(@class, 'ant-select-selector')][1]").click()
    dropdowns = page.locator(".ant-select-dropdown:not(.ant-select-dropdown-hidden)")
    # This select's own list (the open combobox controls it): a list just closed may still be fading out.
    combobox = select.locator(
        "xpath=ancestor-or-self::div[contains(concat(' ', @class, ' '), ' ant-select ')][1]//input[@role='combobox']"
    )
    listbox = await combobox.get_attribute("aria-controls")
    if listbox:
        dropdowns = dropdowns.filter(has=page.locator(f"[id='{listbox}']"))
    options = dropdowns.locator(".ant-select-item-option")
    await options.filter(has_text=re.compile(rf"^{re.escape(label)}$")).click()


def chosen(select: Locator) -> Locator:
    """What the select shows as chosen."""
    return select.locator("xpath=ancestor::div[contains(@class, 'ant-select ')][1]").locator(
        ".ant-select-selection-item"
    )


async def press(radio: Locator) -> None:
    """Chooses a radio drawn as a button (a Radio.Group of buttons): its input lies hidden in the button, which is
    what a person clicks; the radio is then checked."""
    await radio.locator("xpath=ancestor::label[1]").click()
    await expect(radio).to_be_checked()
