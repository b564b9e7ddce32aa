# ruff: noqa: RUF002 -- the docstrings show look-alike characters on purpose
"""Display names in a meeting: cleaned, and compared as people see them rather than as code points.

A name is NFKC-normalised (so "ｄａｖｅ" is "dave"), and refused if it holds characters nobody can see or
that reorder the text around them (zero-width spaces, right-to-left overrides, control characters).
Two names clash when their confusable skeletons match: "dave", "Dave" and "dаve" with a Cyrillic "а"
are one name. Skeletons follow Unicode TR39's confusables data as shipped by `confusable_homoglyphs`.
"""

from __future__ import annotations

import functools
import unicodedata

from confusable_homoglyphs import confusables

# Categories no name needs: Cc controls, Cf format characters (zero-width spaces and joiners, bidi
# embeddings, overrides and isolates, soft hyphens), Co private use, Cs surrogates, Cn unassigned.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Cn"}
# Stacked combining marks ("zalgo") that spill over the names around them.
_MAX_COMBINING_IN_A_ROW = 3


class NameRefused(ValueError):
    """Why a display name cannot be used, in words to show beside the field."""


def clean_display_name(raw: str, max_length: int) -> str:
    """The name as stored: NFKC, inner runs of white space made one space; else NameRefused."""
    name = " ".join(unicodedata.normalize("NFKC", raw or "").split())
    if not name:
        raise NameRefused("Enter a display name.")
    combining = 0
    for char in name:
        if unicodedata.category(char) in _REFUSED_CATEGORIES:
            raise NameRefused(
                "Display names cannot contain invisible or text-direction characters "
                f"(this one has {unicodedata.name(char, f'U+{ord(char):04X}')})."
            )
        combining = combining + 1 if unicodedata.combining(char) else 0
        if combining > _MAX_COMBINING_IN_A_ROW:
            raise NameRefused("Display names cannot stack that many accents on one letter.")
    if len(name) > max_length:
        raise NameRefused(f"Display names can be at most {max_length} characters.")
    return name


@functools.cache
def _prototypes() -> dict[str, str]:
    """Every confusable character -> one representative of its class (the lowest code point, which
    for a class with a Latin letter is that letter). The data lists, for each character, those it can
    be taken for; single characters only, so "rn" and "m" are not joined (an imperfection we accept)."""
    parent: dict[str, str] = {}

    def find(char: str) -> str:
        while parent.setdefault(char, char) != char:
            parent[char] = parent[parent[char]]
            char = parent[char]
        return char

    for char, homoglyphs in confusables.confusables_data.items():
        if len(char) != 1:
            continue
        for entry in homoglyphs:
            other = entry["c"]
            if len(other) == 1:
                a, b = find(char), find(other)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    return {char: find(char) for char in parent}


def skeleton(name: str) -> str:
    """What a name looks like: NFD, each character replaced by its class's prototype, case-folded and
    mapped again, so that "dаve" (Cyrillic а) is "dave" and "Ivy" (capital i) is "lvy"."""
    prototypes = _prototypes()

    def mapped(text: str) -> str:
        return "".join(prototypes.get(char, char) for char in unicodedata.normalize("NFD", text))

    return unicodedata.normalize("NFD", mapped(mapped(unicodedata.normalize("NFKC", name)).casefold()))


def same(a: str, b: str) -> bool:
    """Whether two names would be taken for one another."""
    return a.casefold() == b.casefold() or skeleton(a) == skeleton(b)


def taken(name: str, names: list[str]) -> str | None:
    """The name among `names` that `name` would be taken for, if any."""
    key, folded = skeleton(name), name.casefold()
    return next((other for other in names if other.casefold() == folded or skeleton(other) == key), None)
