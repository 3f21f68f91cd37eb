"""`hrbot stats --chart`: use over time per topic or campaign, as PNG or SVG."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.storage import CounterKey
from bot.storage.sqlite import SQLiteStore


async def fill(db: Path) -> None:
    store = SQLiteStore(db)
    await store.open()
    for campaign in ("street-team", "festival"):
        await store.declare_campaign(campaign)  # undeclared ones would count as "other"
    for day, target, campaign, n in [
        ("2026-11-01", "naloxone", "street-team", 3),
        ("2026-11-02", "naloxone", "street-team", 5),
        ("2026-11-04", "naloxone", "", 2),
        ("2026-11-02", "emergency-opioid-overdose", "", 1),
        ("2026-11-04", "combo-check", "festival", 7),
    ]:
        store.count(CounterKey(day, "en", target, campaign), n)
    await store.close()


@pytest.fixture
async def db(tmp_path: Path) -> Path:
    path = tmp_path / "hrbot.db"
    await fill(path)
    return path


def test_svg_chart_by_topic(db: Path, tmp_path: Path, capsys) -> None:
    chart = tmp_path / "use.svg"
    assert main(["stats", "--database", str(db), "--chart", str(chart)]) == 0
    out, err = capsys.readouterr()
    assert "naloxone" in out and "chart: " in err and "3 line(s) by target" in err
    svg = chart.read_text()
    assert svg.count("<polyline") == 3
    assert "naloxone (10)" in svg and "combo-check (7)" in svg
    assert ">11-03<" in svg or "11-03" in svg  # a day without counts still has its place on the axis


def test_png_chart_by_campaign(db: Path, tmp_path: Path, capsys) -> None:
    chart = tmp_path / "campaigns.png"
    assert main(["stats", "--database", str(db), "--chart", str(chart), "--by", "campaign", "--since", "2026-11-02"]) == 0
    assert "2 line(s) by campaign" in capsys.readouterr().err
    assert chart.read_bytes().startswith(b"\x89PNG") and chart.stat().st_size > 5_000


def test_bad_chart_name(db: Path, tmp_path: Path, capsys) -> None:
    assert main(["stats", "--database", str(db), "--chart", str(tmp_path / "x.jpg")]) == 2
    assert ".png or .svg" in capsys.readouterr().err
