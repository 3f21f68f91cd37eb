"""Runs every transcript in tests/conversations/ through the engine on the shipped content."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine import Engine
from bot.transcripts import run_transcript

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TRANSCRIPTS = sorted((HERE / "conversations").glob("*.yaml"))


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=[p.stem for p in TRANSCRIPTS])
def test_transcript(real_engine: Engine, path: Path) -> None:
    result = run_transcript(real_engine, path, path.relative_to(ROOT).as_posix())
    assert not result.failures, "\n".join(str(f) for f in result.failures)


def test_every_flow_has_a_transcript_in_every_locale(real_engine: Engine) -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in TRANSCRIPTS)
    for flow_id, flow in real_engine.content.flows.items():
        for locale, pack in real_engine.content.locales.items():
            if pack.partial and not flow.triggers.get(locale):
                continue  # not translated yet: the flow runs in the fallback language
            assert f"# covers: {flow_id} {locale}" in text, f"no transcript covers {flow_id} in {locale}"


def test_a_broken_transcript_names_file_and_line(mini_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(
        "name: broken\nsteps:\n  - user: not breathing\n    expect:\n      kind: emergency\n      id: wrong-id\n  - press: No such button\n"
    )
    result = run_transcript(mini_engine, path, "broken.yaml")
    assert [str(f) for f in result.failures] == [
        "broken.yaml:6: id: expected 'wrong-id', got 'emergency-overdose'",
        "broken.yaml:7: press: no button 'No such button'; offered: ['Breathing now', 'About naloxone', '☰ Menu', '✖ Stop']",
    ]
