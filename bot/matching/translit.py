"""Russian and Ukrainian typed in Latin letters, read back into Cyrillic; and a folded form for character n-grams.

People type Russian on a Latin keyboard without any standard: "dyshit", "dishit", "ne dysh1t", "4to", "6to",
"shto", "zhdat'", "jest", "khorosho", "xorosho". cyrtranslit knows the standard schemes; the informal spellings
(4 for ч, 6 or w for ш, x for х, ' for ь, j for й...) are mapped first, then the library does the rest. Whatever
is ambiguous (y: ы or й; e: е or э) the fold below merges, so both readings meet the content's Cyrillic.
"""

from __future__ import annotations

import re

import cyrtranslit

# Informal spellings people use that the standard schemes do not know: those both languages share, then each
# language's own (where the two differ, "h" is х in Russian and г in Ukrainian, "y" is ы or и, "i" и or і).
_COMMON = {
    "shch": "щ", "sch": "щ", "sh": "ш", "6": "ш", "w": "ш", "ch": "ч", "4": "ч", "zh": "ж", "kh": "х", "x": "х",
    "ts": "ц", "tc": "ц", "ya": "я", "ja": "я", "ia": "я", "yu": "ю", "ju": "ю", "iu": "ю", "e": "е", "j": "й",
    "'": "ь", "c": "ц", "q": "к",
}  # fmt: skip
_OWN = {
    "ru": {"shh": "щ", "h": "х", "yo": "ё", "jo": "ё", "ye": "е", "je": "е", "y": "ы"},
    "uk": {"h": "г", "g": "г", "yi": "ї", "ji": "ї", "ye": "є", "je": "є", "y": "и", "i": "і"},
}
_MAPS = {code: {**_COMMON, **own} for code, own in _OWN.items()}
# longest spelling first, so "shch" wins over "sh" and "sh" over "h"
_PATTERNS = {code: re.compile("|".join(re.escape(k) for k in sorted(m, key=len, reverse=True))) for code, m in _MAPS.items()}
_LIB_LANG = {"ru": "ru", "uk": "ua"}
# A vowel then y/i/j ends a syllable: "moy", "moi" -> мой, "tvoj" -> твой.
_SOFT_END = re.compile(r"(?<=[аеёиоуыэюяіїє])[ыиі](?=$|[^аеёиоуыэюяіїє])")
_LATIN = re.compile(r"[a-z]")

# Cyrillic letters that sound alike or vanish in informal spelling, merged so that spellings meet.
_FOLD = str.maketrans({"ё": "е", "э": "е", "є": "е", "ы": "и", "й": "и", "і": "и", "ї": "и", "ъ": "", "ь": "", "щ": "ш", "ґ": "г"})


def supported(code: str) -> bool:
    return code in _MAPS


def to_cyrillic(token: str, code: str) -> str:
    """One lower-case Latin token as the Cyrillic a person of `code` most likely meant; other tokens unchanged."""
    if not _LATIN.search(token) or code not in _MAPS:
        return token
    table = _MAPS[code]
    informal = _PATTERNS[code].sub(lambda m: table[m.group(0)], token)
    out = cyrtranslit.to_cyrillic(informal, _LIB_LANG[code]) if _LATIN.search(informal) else informal
    out = _SOFT_END.sub("й", out)
    return out.lower()


def fold(token: str) -> str:
    return token.translate(_FOLD).replace("тс", "ц")


# Russian or Ukrainian typed with the keyboard left on its Latin layout ("jy yt lsibn" for «он не дышит»): each
# key's letter in the Cyrillic layout of that language (ЙЦУКЕН; Ukrainian has і, ї, є where Russian has ы, ъ, э).
_QWERTY = "qwertyuiop[]asdfghjkl;'zxcvbnm,./`" + 'QWERTYUIOP{}ASDFGHJKL:"ZXCVBNM<>?~&'
_LAYOUTS = {
    "ru": "йцукенгшщзхъфывапролджэячсмитьбю.ё" + "ЙЦУКЕНГШЩЗХЪФЫВАПРОЛДЖЭЯЧСМИТЬБЮ,Ё?",
    "uk": "йцукенгшщзхїфівапролджєячсмитьбю.'" + "ЙЦУКЕНГШЩЗХЇФІВАПРОЛДЖЄЯЧСМИТЬБЮ,'?",
}
_LAYOUT_TABLES = {code: str.maketrans(_QWERTY, keys) for code, keys in _LAYOUTS.items()}


def from_layout(text: str, code: str) -> str:
    """`text` as typed on the Latin layout, read back as the same keys on the layout of `code`."""
    return text.translate(_LAYOUT_TABLES[code]) if code in _LAYOUT_TABLES else text
