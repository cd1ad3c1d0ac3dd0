"""Bilingual text: the UI speaks Japanese first, English second."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Text:
    """A label or description in Japanese and English."""

    ja: str
    en: str

    def __post_init__(self) -> None:
        if not self.ja.strip() or not self.en.strip():
            raise ValueError("a text needs both a Japanese and an English wording")

    @classmethod
    def coerce(cls, value: Text | dict[str, Any] | str) -> Text:
        if isinstance(value, Text):
            return value
        if isinstance(value, dict):
            return cls(ja=str(value.get("ja", "")), en=str(value.get("en", "")))
        raise ValueError("a text must give both 'ja' and 'en'")

    def as_dict(self) -> dict[str, str]:
        return {"ja": self.ja, "en": self.en}
