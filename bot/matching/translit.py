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


# A skeleton: one spelling for the letters Latin typing confuses (г, х and h; и, і, ы, й and y, i; ж and z; ш, щ,
# w and 6; ь and '), so a word typed any of those ways meets the word meant. Looser than `fold`: used only when
# neither the direct reading nor the fold is a word.
_SKELETON_CYR = str.maketrans({
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "h", "д": "d", "е": "e", "ё": "e", "є": "e", "э": "e", "ж": "z",
    "з": "z", "и": "i", "і": "i", "ї": "i", "й": "i", "ы": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "c", "ч": "c", "ш": "s", "щ": "s",
    "ъ": "", "ь": "", "ю": "iu", "я": "ia", "'": "", "’": "", "ʼ": "",
})  # fmt: skip
_SKELETON_GROUPS = [
    ("shch", "s"), ("sch", "s"), ("sh", "s"), ("ch", "c"), ("zh", "z"), ("kh", "h"), ("ts", "c"), ("tc", "c"),
    ("ya", "ia"), ("ja", "ia"), ("yu", "iu"), ("ju", "iu"), ("yo", "e"), ("jo", "e"), ("ye", "e"), ("je", "e"),
    ("yi", "i"), ("ji", "i"),
]  # fmt: skip
_SKELETON_ONE = str.maketrans({"w": "s", "6": "s", "4": "c", "x": "h", "g": "h", "y": "i", "q": "k", "'": "", "’": "", "ʼ": ""})


def _skeleton_latin(text: str) -> str:
    for group, one in _SKELETON_GROUPS:
        text = text.replace(group, one)
    return text.translate(_SKELETON_ONE)


def skeleton_of_word(word: str) -> str:
    """The skeleton of a Cyrillic word."""
    return _skeleton_latin(word.translate(_SKELETON_CYR))


def skeletons(token: str) -> tuple[str, ...]:
    """The skeletons a Latin token may spell: "j" is й or ж ("moj", "lejit"), so both are tried, й first."""
    token = token.lower()
    base = _skeleton_latin(token).replace("j", "i")
    if "j" not in token:
        return (base,)
    return (base, _skeleton_latin(token.replace("j", "z")))


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
