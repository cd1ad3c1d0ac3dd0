"""The console's own code names no built-in plugin: plugins bring their screens, pickers and panels through the
catalog and their UI modules, so a console that works with the built-ins works with any plugin.

A name counts where the code would depend on it: a string that is a plugin's name ("tags"), starts with one of its
registered names ("tags.add_tag", "response_marks.marks"), or is one of its routes ("/inflow/routes",
".../p/member_cards/login"). Comments, tests and test fixtures are not the console's code. None is left naming
one; STILL_NAMING is where a file that had to would be listed with the reason the platform does not cover yet (a
listed file that no longer names a plugin fails too, so the list only shrinks).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "builder_ui" / "src"

STILL_NAMING: dict[str, str] = {}

_COMMENT = re.compile(r"/\*.*?\*/|(?<![:\w])//[^\n]*", re.S)
_STRING = re.compile(r"""(["'`])((?:\\.|(?!\1)[^\n\\])*)\1""")


def builtin_plugins() -> list[str]:
    return sorted(p.name.removeprefix("enishi_") for p in (ROOT / "plugins").iterdir() if p.name.startswith("enishi_"))


def named_in(text: str, plugins: list[str]) -> set[str]:
    """The plugins a source file's strings name (see the module's docstring)."""
    code = _COMMENT.sub("", text)
    found = set()
    for match in _STRING.finditer(code):
        value = match.group(2)
        for plugin in plugins:
            escaped = re.escape(plugin)
            if (
                value == plugin
                or re.match(rf"{escaped}\.[a-z]", value)
                or re.match(rf"/{escaped}(/|$|\?)", value)
                or re.search(rf"/p/{escaped}(/|$)", value)
            ):
                found.add(plugin)
    return found


def console_files() -> list[Path]:
    return sorted(
        f
        for f in SOURCES.rglob("*.ts*")
        if ".test." not in f.name and ".fixture." not in f.name and "test" not in f.relative_to(SOURCES).parts[:-1]
    )


def test_the_check_finds_each_way_of_naming_a_plugin() -> None:
    plugins = ["tags", "member_cards"]
    assert named_in('enabled.includes("tags")', plugins) == {"tags"}
    assert named_in("const t = { type: 'tags.add_tag' };", plugins) == {"tags"}
    assert named_in("api.get(workspaceUrl(id, `/tags/friends/${f}`))", plugins) == {"tags"}
    assert named_in("const login = `${base}/p/member_cards/login`;", plugins) == {"member_cards"}
    assert named_in('// "tags.add_tag" in a comment\nconst a = "hashtags"; /* "/tags" */', plugins) == set()
    assert named_in('t("tags_title"); const u = "https://example.com/tags";', plugins) == set()


def test_the_console_names_no_built_in_plugin_outside_the_files_still_listed() -> None:
    plugins = builtin_plugins()
    naming = {
        str(f.relative_to(SOURCES)): sorted(found)
        for f in console_files()
        if (found := named_in(f.read_text(encoding="utf-8"), plugins))
    }
    unlisted = {f: p for f, p in naming.items() if f not in STILL_NAMING}
    assert not unlisted, f"console code names plugins (bring it through the platform instead): {unlisted}"
    fixed = sorted(set(STILL_NAMING) - set(naming))
    assert not fixed, f"these files no longer name a plugin: take them off STILL_NAMING: {fixed}"
