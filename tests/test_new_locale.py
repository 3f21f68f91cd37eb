"""`hrbot new-locale` and partial locales: marked texts fall back and are listed as file:line."""

from __future__ import annotations

from pathlib import Path

from bot.cli import main
from bot.content import load_content, validate_content
from bot.engine import Engine, Incoming
from bot.session import Session


def test_new_locale_lays_out_marked_files_and_falls_back(mini_tree: Path, capsys) -> None:
    assert main(["--content", str(mini_tree), "new-locale", "uk", "--name", "Українська"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("created knowledge/uk/ (7 files), every text marked TRANSLATE:")
    uk = mini_tree / "knowledge" / "uk"
    assert (uk / "locale.yaml").read_text().count("status: partial") == 1
    assert "TRANSLATE: Naloxone" in (uk / "entries" / "naloxone.yaml").read_text()

    # The whole content still loads: a partial locale's gaps are warnings.
    content = load_content(mini_tree)
    assert content.locales["uk"].partial and content.locales["uk"].entries == {}
    engine = Engine(content)
    session = Session(locale="uk")
    reply = engine.handle(Incoming(button="e:naloxone"), session)[-1]
    assert reply.text.startswith("Naloxone\n\n")  # falls back to English
    assert engine.handle(Incoming(text="/help"), session)[-1].text.startswith("Write a question")

    # validate: clean overall, with a one-line summary of the gaps...
    assert main(["--content", str(mini_tree), "validate"]) == 0
    out = capsys.readouterr().out
    assert "locale uk is partial:" in out and "`hrbot validate --locale uk` lists them" in out
    # ...and with --locale, every gap as file:line, exit 1.
    assert main(["--content", str(mini_tree), "validate", "--locale", "uk"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert "knowledge/uk/entries/alcohol.yaml:3: warning: entry 'title' is not translated yet" in lines
    assert any(line.startswith("knowledge/uk/strings.yaml:") and "string 'welcome' is not translated yet" in line for line in lines)
    assert "dialogues/menu.yaml:3: warning: flow has no triggers for locale 'uk'" in lines


def test_translated_text_is_used(mini_tree: Path, capsys) -> None:
    main(["--content", str(mini_tree), "new-locale", "uk"])
    strings = mini_tree / "knowledge" / "uk" / "strings.yaml"
    strings.write_text(strings.read_text().replace("TRANSLATE: Language: English.", "Мова: українська."))
    engine = Engine(load_content(mini_tree))
    assert engine.handle(Incoming(text="/locale uk"), Session())[-1].text == "Мова: українська."


def test_new_locale_refuses_bad_codes_and_existing_folders(mini_tree: Path, capsys) -> None:
    assert main(["--content", str(mini_tree), "new-locale", "EN-gb"]) == 2
    assert "not a locale code" in capsys.readouterr().err
    assert main(["--content", str(mini_tree), "new-locale", "ru"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["--content", str(mini_tree), "new-locale", "de", "--from", "fr"]) == 2
    assert "no source locale" in capsys.readouterr().err


def test_a_complete_locale_with_a_gap_is_an_error(mini_tree: Path) -> None:
    (mini_tree / "knowledge" / "ru" / "entries" / "alcohol.yaml").unlink()
    _, problems = validate_content(mini_tree)
    assert any(not p.warning and "entry 'alcohol' of topics.yaml is missing in locale 'ru'" in p.message for p in problems)
