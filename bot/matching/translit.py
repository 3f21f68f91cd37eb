"""Russian and Ukrainian typed in Latin letters, read back into Cyrillic; and a folded form for character n-grams.

People type Russian on a Latin keyboard without any standard: "dyshit", "dishit", "ne dysh1t", "4to", "6to",
"shto", "zhdat'", "jest", "khorosho", "xorosho". cyrtranslit knows the standard schemes; the informal spellings
(4 for ч, 6 or w for ш, x for х, ' for ь, j for й...) are mapped first, then the library does the rest. Whatever
is ambiguous (y: ы or й; e: е or э) the fold below merges, so both readings meet the content's Cyrillic.
"""

from __future__ import annotations

import re

import cyrtranslit

# Longest first. Informal spellings people use that the standard schemes do not know.
_INFORMAL = {
    "ru": [
        ("shch", "щ"),
        ("sch", "щ"),
        ("shh", "щ"),
        ("sh", "ш"),
        ("6", "ш"),
        ("w", "ш"),
        ("ch", "ч"),
        ("4", "ч"),
        ("zh", "ж"),
        ("kh", "х"),
        ("x", "х"),
        ("h", "х"),
        ("ts", "ц"),
        ("tc", "ц"),
        ("yo", "ё"),
        ("jo", "ё"),
        ("ya", "я"),
        ("ja", "я"),
        ("ia", "я"),
        ("yu", "ю"),
        ("ju", "ю"),
        ("iu", "ю"),
        ("ye", "е"),
        ("je", "е"),
        ("e", "е"),
        ("y", "ы"),
        ("j", "й"),
        ("'", "ь"),
        ("c", "ц"),
        ("q", "к"),
    ],
    "uk": [
        ("shch", "щ"),
        ("sch", "щ"),
        ("sh", "ш"),
        ("6", "ш"),
        ("w", "ш"),
        ("ch", "ч"),
        ("4", "ч"),
        ("zh", "ж"),
        ("kh", "х"),
        ("x", "х"),
        ("h", "г"),
        ("g", "г"),
        ("ts", "ц"),
        ("tc", "ц"),
        ("yi", "ї"),
        ("ji", "ї"),
        ("ya", "я"),
        ("ja", "я"),
        ("ia", "я"),
        ("yu", "ю"),
        ("ju", "ю"),
        ("iu", "ю"),
        ("ye", "є"),
        ("je", "є"),
        ("e", "е"),
        ("y", "и"),
        ("i", "і"),
        ("j", "й"),
        ("'", "ь"),
        ("c", "ц"),
        ("q", "к"),
    ],
}
_LIB_LANG = {"ru": "ru", "uk": "ua"}
_PATTERNS = {code: re.compile("|".join(re.escape(a) for a, _ in pairs)) for code, pairs in _INFORMAL.items()}
_MAPS = {code: dict(pairs) for code, pairs in _INFORMAL.items()}
# A vowel then y/i/j ends a syllable: "moy", "moi" -> мой, "tvoj" -> твой.
_SOFT_END = re.compile(r"(?<=[аеёиоуыэюяіїє])[ыиі](?=$|[^аеёиоуыэюяіїє])")
_LATIN = re.compile(r"[a-z]")

# Cyrillic letters that sound alike or vanish in informal spelling, merged so that spellings meet.
_FOLD = str.maketrans({"ё": "е", "э": "е", "є": "е", "ы": "и", "й": "и", "і": "и", "ї": "и", "ъ": "", "ь": "", "щ": "ш", "ґ": "г"})


def supported(code: str) -> bool:
    return code in _INFORMAL


def to_cyrillic(token: str, code: str) -> str:
    """One lower-case Latin token as the Cyrillic a person of `code` most likely meant; other tokens unchanged."""
    if not _LATIN.search(token) or code not in _INFORMAL:
        return token
    table = _MAPS[code]
    informal = _PATTERNS[code].sub(lambda m: table[m.group(0)], token)
    out = cyrtranslit.to_cyrillic(informal, _LIB_LANG[code]) if _LATIN.search(informal) else informal
    out = _SOFT_END.sub("й", out)
    return out.lower()


def fold(token: str) -> str:
    return token.translate(_FOLD).replace("тс", "ц")
