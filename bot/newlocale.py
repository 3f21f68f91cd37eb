"""`hrbot new-locale xx`: lay out a new language with every text marked for translation.

Marked texts (starting with TRANSLATE:) count as missing: the bot falls back to the source locale for them,
and `hrbot validate --locale xx` lists each one as file:line until it is translated.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .content.collector import LOCALE_RE, TRANSLATE_MARK
from .yamlsafe import load_yaml


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _mark(text: str) -> str:
    return f"{TRANSLATE_MARK} {text}"


def _dump(path: Path, data: Any, header: str) -> None:
    body = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=110)
    path.write_text(header + body, encoding="utf-8")


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def create_locale(root: Path, code: str, name: str, source: str = "en") -> list[Path]:
    """Create knowledge/<code>/ from knowledge/<source>/; return the files written. Refuses to overwrite."""
    if not LOCALE_RE.match(code):
        raise ValueError(f"{code!r} is not a locale code (two or three lower-case letters, e.g. uk)")
    src = root / "knowledge" / source
    dest = root / "knowledge" / code
    if not src.is_dir():
        raise ValueError(f"there is no source locale knowledge/{source}/")
    if dest.exists():
        raise ValueError(f"knowledge/{code}/ already exists; edit it, or check it with `hrbot validate --locale {code}`")
    written: list[Path] = []
    (dest / "entries").mkdir(parents=True)
    note = f"# Translate every text marked {TRANSLATE_MARK} (remove the mark). Until then the bot uses {source}.\n"

    def load(path: Path) -> Any:
        data, problems = load_yaml(path, path.as_posix())
        if problems:
            raise ValueError(str(problems[0]))
        return _plain(data)

    info = {"name": name, "status": "partial", "fallback": source}
    _dump(dest / "locale.yaml", info, "# Set status: complete once `hrbot validate --locale " + code + "` lists nothing.\n")
    written.append(dest / "locale.yaml")

    strings = load(src / "strings.yaml") or {}
    _dump(dest / "strings.yaml", {k: _mark(v) for k, v in strings.items()}, note)
    written.append(dest / "strings.yaml")

    source_words = (load(src / "matching.yaml") or {}).get("words") or {}
    _dump(
        dest / "matching.yaml",
        {"stopwords": [], "synonyms": {}, "words": {k: _mark(v) for k, v in source_words.items() if isinstance(v, str)}},
        "# This locale's matching settings: words with no meaning, slang -> canonical words, and the word lists the\n"
        "# matcher uses (see docs/content-format.md).\n",
    )
    written.append(dest / "matching.yaml")

    subs = (load(src / "substances.yaml") or {}).get("substances", {})
    marked = {sid: {"name": _mark(spec["name"]), "aliases": spec.get("aliases", [])} for sid, spec in subs.items()}
    _dump(dest / "substances.yaml", {"substances": marked}, note + "# Replace the aliases with this language's names.\n")
    written.append(dest / "substances.yaml")

    reasons = (load(src / "combos.yaml") or {}).get("reasons", {})
    _dump(dest / "combos.yaml", {"reasons": {k: _mark(v) for k, v in reasons.items()}}, note)
    written.append(dest / "combos.yaml")

    for path in sorted((src / "entries").glob("*.yaml")):
        entry = load(path)
        for key in ("title", "answer", "more"):
            if entry.get(key):
                entry[key] = _mark(entry[key])
        entry["questions"] = [_mark(q) for q in entry.get("questions", [])]
        _dump(dest / "entries" / path.name, entry, note)
        written.append(dest / "entries" / path.name)
    return written
