"""Deep links, QR codes and printable cards."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.cli import main
from bot.content import load_content
from bot.links import deep_link, make_payload, parse_payload

ROOT = Path(__file__).resolve().parent.parent
MINI = Path(__file__).resolve().parent / "fixtures" / "mini"


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


def tool(name: str, package: str) -> str:
    """A Debian tool the card tests read their output back with (.ci/run installs it)."""
    found = shutil.which(name)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing: .ci/run installs {package}")
        pytest.skip(f"{name} ({package}) is not installed")
    return found


def pdf_text(path: Path) -> str:
    done = subprocess.run([tool("pdftotext", "poppler-utils"), "-layout", str(path), "-"], capture_output=True, text=True, check=True)
    return done.stdout


def card(tmp_path: Path, name: str, target: str, *more: str, content: Path = ROOT) -> Path:
    out = tmp_path / name
    assert main(["--content", str(content), "link", target, "--bot", "hr_help_bot", "--card", str(out), *more]) == 0
    return out


def test_png_card_decodes_to_the_link(tmp_path: Path, capsys) -> None:
    png = card(tmp_path, "card.png", "combo-check", "--locale", "en")
    assert png.stat().st_size > 10_000
    assert zbar(png) == "https://t.me/hr_help_bot?start=combo-check"


def test_pdf_card_is_vector_with_title_number_and_how_to_scan(tmp_path: Path, capsys) -> None:
    pdf = card(tmp_path, "card.pdf", "emergency-overdose", "--locale", "en", content=MINI)
    assert pdf.read_bytes().startswith(b"%PDF")
    text = " ".join(pdf_text(pdf).split())
    assert text.startswith("Overdose ")  # the flow's title, not its id
    assert "Scan with your phone's camera: it opens in Telegram" in text
    assert "Emergency? Call 112 or 911" in text
    assert "https://t.me/hr_help_bot?start=emergency-overdose" in text
    listed = subprocess.run([tool("pdfimages", "poppler-utils"), "-list", str(pdf)], capture_output=True, text=True, check=True)
    assert len(listed.stdout.strip().splitlines()) == 2, listed.stdout  # the header only: no raster image in it
    # the QR code is drawn as vector modules: rendered, it still decodes
    subprocess.run([tool("pdftoppm", "poppler-utils"), "-png", "-r", "150", str(pdf), str(tmp_path / "page")], check=True)
    assert zbar(tmp_path / "page-1.png") == "https://t.me/hr_help_bot?start=emergency-overdose"


@pytest.mark.parametrize(
    ("locale", "scan", "emergency"),
    [
        ("ru", "Наведи камеру телефона на код: откроется в Telegram", "Экстренная ситуация? Звони 112"),
        ("uk", "Наведи камеру телефону на код: відкриється в Telegram", "Надзвичайна ситуація? Телефонуй 112"),
    ],
)
def test_a_flow_card_in_each_locale_has_a_title_not_an_id(tmp_path: Path, capsys, locale: str, scan: str, emergency: str) -> None:
    content = load_content(ROOT)
    flow = content.flows["combo-check"]
    pdf = card(tmp_path, "card.pdf", "combo-check", "--locale", locale)
    text = " ".join(pdf_text(pdf).split())
    title = flow.title.get(locale) or next(  # a flow without a title is named by the menu's button for it
        b.label[locale] for s in content.flows["menu"].steps.values() for b in s.buttons if b.kind == "flow" and b.target == "combo-check"
    )
    assert text.startswith(title) and not text.startswith("combo-check")
    assert scan in text and emergency in text


def test_an_entry_card_with_a_country_number(tmp_path: Path, capsys) -> None:
    pdf = card(tmp_path, "card.pdf", "naloxone", "--locale", "en", "--country", "gb", content=MINI)
    text = " ".join(pdf_text(pdf).split())
    assert text.startswith("Naloxone ") and "Emergency? Call 999 or 112" in text
    assert main(["--content", str(MINI), "link", "naloxone", "--bot", "hr_help_bot", "--card", str(pdf), "--country", "XX"]) == 2
    assert "unknown country 'XX'" in capsys.readouterr().err


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


def test_a_web_card_opens_the_web_chat(tmp_path: Path, capsys) -> None:
    """`hrbot link --web URL`: the same target and campaign, as a link to the web chat, on a card that says so."""
    pdf = tmp_path / "web.pdf"
    assert (
        main(["--content", str(ROOT), "link", "naloxone", "--web", "https://chat.example.org/", "--campaign", "flyer", "--card", str(pdf)])
        == 0
    )
    assert capsys.readouterr().out.strip() == "https://chat.example.org/?start=naloxone__flyer"
    text = " ".join(pdf_text(pdf).split())
    assert "opens the chat in your browser" in text and "Telegram" not in text
    subprocess.run([tool("pdftoppm", "poppler-utils"), "-png", "-r", "150", str(pdf), str(tmp_path / "page")], check=True)
    assert zbar(tmp_path / "page-1.png") == "https://chat.example.org/?start=naloxone__flyer"
    assert main(["--content", str(ROOT), "link", "naloxone", "--web", "javascript:alert(1)"]) == 2
    assert "is not the web chat's address" in capsys.readouterr().err
