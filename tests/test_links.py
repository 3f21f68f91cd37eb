"""Deep links, QR codes and printable cards."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.cli import main
from bot.links import deep_link, make_payload, parse_payload

ROOT = Path(__file__).resolve().parent.parent


def zbar(path: Path) -> str:
    if shutil.which("zbarimg") is None:
        if os.environ.get("CI"):
            pytest.fail("zbarimg is missing: .ci/run installs zbar-tools")
        pytest.skip("zbarimg (zbar-tools) is not installed")
    done = subprocess.run(["zbarimg", "-q", "--raw", str(path)], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_payloads_round_trip_within_telegrams_rules() -> None:
    assert make_payload("naloxone") == "naloxone"
    assert make_payload("naloxone", "outreach-1") == "naloxone__outreach-1"
    assert parse_payload("naloxone__outreach-1") == ("naloxone", "outreach-1")
    assert parse_payload("naloxone") == ("naloxone", None)
    for bad in ("", "a b", "x" * 65, "../etc", "naloxone__bad campaign"):
        assert parse_payload(bad)[1] is None
    with pytest.raises(ValueError, match="64"):
        make_payload("emergency-mental-health-crisis", "c" * 40)
    with pytest.raises(ValueError, match="campaign"):
        make_payload("naloxone", "no spaces")
    assert deep_link("@hr_help_bot", "naloxone") == "https://t.me/hr_help_bot?start=naloxone"
    with pytest.raises(ValueError):
        deep_link("x", "naloxone")


def test_link_prints_the_url_and_writes_a_qr_that_decodes_to_it(tmp_path: Path, capsys) -> None:
    qr = tmp_path / "naloxone.png"
    assert main(["--content", str(ROOT), "link", "naloxone", "--bot", "hr_help_bot", "--campaign", "street-1", "--qr", str(qr)]) == 0
    url = capsys.readouterr().out.strip()
    assert url == "https://t.me/hr_help_bot?start=naloxone__street-1"
    assert zbar(qr) == url


def test_svg_qr(tmp_path: Path, capsys) -> None:
    svg = tmp_path / "menu.svg"
    assert main(["--content", str(ROOT), "link", "menu", "--bot", "hr_help_bot", "--qr", str(svg)]) == 0
    assert svg.read_text().lstrip().startswith("<?xml")


@pytest.mark.parametrize(("name", "locale"), [("card.png", "en"), ("card.pdf", "ru")])
def test_printable_card(tmp_path: Path, capsys, name: str, locale: str) -> None:
    card = tmp_path / name
    args = ["--content", str(ROOT), "link", "combo-check", "--bot", "hr_help_bot", "--card", str(card), "--locale", locale]
    assert main(args) == 0
    assert card.stat().st_size > 10_000
    if name.endswith(".png"):
        assert zbar(card) == "https://t.me/hr_help_bot?start=combo-check"
    else:
        assert card.read_bytes().startswith(b"%PDF")


def test_unknown_target_is_refused_with_the_valid_ones(capsys) -> None:
    assert main(["--content", str(ROOT), "link", "nalaxone", "--bot", "hr_help_bot"]) == 2
    err = capsys.readouterr().err
    assert "unknown target 'nalaxone'" in err and "\n  naloxone\n" in err and "\n  combo-check\n" in err


def test_missing_bot_name_and_bad_files(capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_USERNAME", raising=False)
    assert main(["--content", str(ROOT), "link", "naloxone"]) == 2
    assert "--bot" in capsys.readouterr().err
    assert main(["--content", str(ROOT), "link", "naloxone", "--bot", "hr_help_bot", "--qr", str(tmp_path / "x.gif")]) == 2
    assert ".png or .svg" in capsys.readouterr().err
