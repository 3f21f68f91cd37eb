"""The CLI, in-process: exit codes and exact output lines."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from bot.cli import main

MINI = Path(__file__).resolve().parent / "fixtures" / "mini"


def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", [[], ["chat"], ["validate"], ["match"], ["eval"]])
def test_help_everywhere(capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([*command, "--help"])
    assert done.value.code == 0
    assert "usage: hrbot" in capsys.readouterr().out


def test_no_command_prints_help(capsys, monkeypatch) -> None:
    code, out, _ = run(capsys, monkeypatch, [])
    assert code == 2 and "usage: hrbot" in out


def test_validate_clean(capsys, monkeypatch) -> None:
    code, out, _ = run(capsys, monkeypatch, ["--content", str(MINI), "validate"])
    assert code == 0
    assert out.startswith("ok: 4 entries, 3 flows, 3 combos, 2 locales (en, ru) in ")


def test_validate_broken(capsys, monkeypatch, mini_tree: Path) -> None:
    path = mini_tree / "knowledge/en/entries/alcohol.yaml"
    path.write_text(path.read_text().replace("related: [naloxone]", "related: [nope]"))
    code, out, err = run(capsys, monkeypatch, ["--content", str(mini_tree), "validate"])
    assert code == 1
    assert out.splitlines() == ["knowledge/en/entries/alcohol.yaml:12: related id 'nope' does not exist in locale 'en'"]
    assert "1 error(s), 0 warning(s)" in err


def test_commands_that_need_content_refuse_broken_content(capsys, monkeypatch, mini_tree: Path) -> None:
    (mini_tree / "knowledge/en/entries/alcohol.yaml").write_text("id: [\n")
    code, _, err = run(capsys, monkeypatch, ["--content", str(mini_tree), "match"], "hi\n")
    assert code == 1
    assert "knowledge/en/entries/alcohol.yaml:2: YAML syntax error" in err


def test_match_prints_one_json_line_per_input_line(capsys, monkeypatch) -> None:
    code, out, _ = run(capsys, monkeypatch, ["--content", str(MINI), "match"], "not breathing\n\ncoke and beer\nнаркан\n")
    lines = [json.loads(x) for x in out.splitlines()]
    assert code == 0 and len(lines) == 4
    assert lines[0] == {"text": "not breathing", "locale": "en", "kind": "emergency", "id": "emergency-overdose", "score": 1.0}
    assert lines[1]["text"] == "" and lines[1]["kind"] == "fallback"
    assert lines[2]["kind"] == "combo" and lines[2]["substances"] == ["alcohol", "cocaine"] and lines[2]["risk"] == "unsafe"
    assert lines[3]["locale"] == "ru" and lines[3]["id"] == "naloxone"


def test_match_forced_locale(capsys, monkeypatch) -> None:
    code, out, _ = run(capsys, monkeypatch, ["--content", str(MINI), "match", "--locale", "ru"], "menu\n")
    assert code == 0 and json.loads(out)["locale"] == "ru"
    code, _, err = run(capsys, monkeypatch, ["--content", str(MINI), "match", "--locale", "xx"], "menu\n")
    assert code == 2 and "unknown locale 'xx'" in err


def write_eval(path: Path) -> Path:
    rows = [
        {"text": "he is not breathing", "locale": "en", "expect": {"kind": "emergency", "id": "emergency-overdose"}},
        {"text": "where do i get narcan", "locale": "en", "expect": {"kind": "answer", "id": "naloxone"}},
        {"text": "coke with beer", "locale": "en", "expect": {"kind": "combo", "substances": ["alcohol", "cocaine"]}},
        {"text": "где взять наркан", "locale": "ru", "expect": {"kind": "answer", "id": "naloxone"}},
        {"text": "did arsenal win", "locale": "en", "expect": {"kind": "fallback"}},
        {"text": "hangover tips", "locale": "en", "expect": {"kind": "answer", "id": "naloxone"}},
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    return path


def test_eval_reports_and_honours_thresholds(capsys, monkeypatch, tmp_path: Path) -> None:
    data = write_eval(tmp_path / "e.jsonl")
    code, out, _ = run(capsys, monkeypatch, ["--content", str(MINI), "eval", str(data)])
    assert code == 0
    assert "emergency recall en: 100.0%" in out
    assert "false emergencies: 0/5 (0.0%)" in out
    assert "accuracy overall: 83.3%" in out
    assert "  line 6 [en] want answer naloxone got answer alcohol" in out
    code, out, _ = run(capsys, monkeypatch, ["--content", str(MINI), "eval", str(data), "--summary"])
    assert "accuracy overall: 83.3%" in out and "  line " not in out  # the figures only: a blind set stays unread
    code, out, _ = run(capsys, monkeypatch, ["--content", str(MINI), "eval", str(data), "--min-accuracy", "0.9"])
    assert code == 1 and "FAILED: accuracy 83.3% < 90.0%" in out


def test_eval_bad_file(capsys, monkeypatch, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x"}\n')
    code, _, err = run(capsys, monkeypatch, ["--content", str(MINI), "eval", str(bad)])
    assert code == 2 and "bad.jsonl:1: not an evaluation line" in err
    code, _, err = run(capsys, monkeypatch, ["--content", str(MINI), "eval", str(tmp_path / "none.jsonl")])
    assert code == 2 and "cannot read" in err


def test_chat_reads_piped_input_and_exits_at_the_end(capsys, monkeypatch) -> None:
    script = "/start naloxone\n1\nnot breathing\n/locale ru\nменю\n"
    code, out, _ = run(capsys, monkeypatch, ["--content", str(MINI), "chat"], script)
    assert code == 0
    assert out.index("Naloxone\n\nNaloxone reverses") < out.index("Sources:")  # "1" pressed the More button
    assert "🚨\n1. Call 112 or 911 now." in out
    assert "Язык: русский." in out
    assert "  [1] Проверить сочетание" in out


def test_eval_cross_validation_prints_the_figures(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    mini = str(Path(__file__).resolve().parent / "fixtures" / "mini")
    code, out, err = run(capsys, monkeypatch, ["--content", mini, "eval", "--cv", "2", "--min-emergency-recall", "0"])
    assert code == 0, err
    assert "2-fold cross-validation" in out and "accuracy overall" in out and "emergency recall en" in out
    assert "fold 2/2" in err
    assert "inside long messages" not in out
    code, out, err = run(capsys, monkeypatch, ["--content", mini, "eval", "--cv", "2", "--long", "--min-emergency-recall", "0"])
    assert code == 0, err
    assert out.count("accuracy overall") == 2 and "the same phrasings inside long messages" in out
    code, out, err = run(capsys, monkeypatch, ["--content", mini, "eval", "--cv", "2", "--latin", "--min-emergency-recall", "0"])
    assert code == 0, err
    assert out.count("accuracy overall") == 2 and "typed in Latin letters" in out
    code, _, err = run(capsys, monkeypatch, ["--content", mini, "eval"])
    assert code == 2 and "--cv" in err


def test_match_explain_says_why(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    mini = str(Path(__file__).resolve().parent / "fixtures" / "mini")
    code, out, _ = run(capsys, monkeypatch, ["--content", mini, "match", "--explain"], "he is not breathing\n")
    line = json.loads(out)
    assert code == 0 and line["kind"] == "emergency"
    assert line["explain"]["rules"] and line["explain"]["top"] and "readings" in line["explain"]


def test_latin_spelling_keeps_one_habit_per_message() -> None:
    """`--cv --latin` asks each Russian and Ukrainian phrasing as typed on a Latin keyboard: ASCII only, the
    same text every run, and habits differing between messages (ж as "zh", "j" or "z")."""
    from bot.evaluation import to_latin

    typed = to_latin("Он не дышит, губы синие", "ru")
    assert typed.isascii() and typed == to_latin("Он не дышит, губы синие", "ru")
    assert typed.startswith("on ne dy") and " gub" in typed
    assert to_latin("вона не дихає", "uk").startswith(("vona ne dy", "vona ne di"))
    spellings = {to_latin(f"жена {n}", "ru").split()[0] for n in range(40)}
    assert {"zhena", "jena", "zena"} <= spellings
