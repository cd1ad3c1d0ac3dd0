"""axe-core in the browser tests: the serious and critical accessibility violations on the page as drawn.

``axe.min.js`` comes from the console's node_modules (a dev dependency of ``builder_ui``). The console's
Content-Security-Policy refuses inline scripts, so a script tag with its source would not run: the source is
evaluated through the browser's debugging protocol instead, which the page's policy does not govern.

``violations(page)`` answers the serious and critical ones, each node as its own entry, less the ``Known`` ones
a test names (a rule on a target, with the reason it is let through); ``report`` formats them for an assertion.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.async_api import Page

from tests.conftest import unavailable

AXE = Path(__file__).resolve().parents[2] / "builder_ui" / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")


@dataclass(frozen=True)
class Known:
    """A violation let through: ``rule`` on every node whose target selector contains ``target``, and why."""

    rule: str
    target: str
    reason: str


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str
    help: str
    target: str
    html: str
    summary: str

    def __str__(self) -> str:
        lines = [f"[{self.impact}] {self.rule}: {self.help}", f"    target: {self.target}", f"    html:   {self.html}"]
        lines += [f"    {line}" for line in self.summary.splitlines() if line.strip()]
        return "\n".join(lines)


async def inject(page: Page) -> None:
    if not AXE.is_file():
        unavailable("axe-core (cd builder_ui && npm ci)")
    if await page.evaluate("typeof window.axe === 'object'"):
        return
    # (Not page.add_script_tag: the console's policy refuses inline scripts, so such a tag never runs.)
    await page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    assert await page.evaluate("typeof window.axe === 'object'"), "axe-core did not load into the page"


async def violations(page: Page, known: tuple[Known, ...] = ()) -> list[Violation]:
    """The serious and critical violations axe finds in the whole document now, less the known ones."""
    await inject(page)
    result: list[dict[str, Any]] = await page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    found = []
    for rule in result:
        if rule.get("impact") not in SERIOUS:
            continue
        for node in rule["nodes"]:
            target = " ".join(" >>> ".join(t) if isinstance(t, list) else t for t in node["target"])
            if any(k.rule == rule["id"] and k.target in target for k in known):
                continue
            found.append(
                Violation(
                    rule=rule["id"],
                    impact=node.get("impact") or rule["impact"],
                    help=f"{rule['help']} ({rule['helpUrl']})",
                    target=target,
                    html=node["html"][:300],
                    summary=node.get("failureSummary") or "",
                )
            )
    return found


def report(found: dict[str, list[Violation]]) -> str:
    """Violations by page, for an assertion's message."""
    parts = []
    for where, items in found.items():
        if items:
            parts.append(f"{where}: {len(items)} serious or critical violation(s)")
            parts += [str(v) for v in items]
    return "\n".join(parts)
