"""The pepper: from the environment, a file, or generated once into a file only its owner can read."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.privacy import PepperError, Pseudonymizer, load_pepper
from bot.storage import pepper_path_for


def test_generated_once_with_mode_0600(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    path = tmp_path / "data" / "pepper"
    first = load_pepper({}, path)
    assert len(first) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes() == first
    assert load_pepper({}, path) == first  # the same on the next start
    assert [p.name for p in path.parent.iterdir()] == ["pepper"]  # no temporary file left behind
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert first.hex() not in logged and repr(first) not in logged


def test_environment_wins_over_the_file(tmp_path: Path) -> None:
    path = tmp_path / "pepper"
    path.write_bytes(b"raw-file-pepper!" * 2)
    path.chmod(0o600)
    assert load_pepper({"HRBOT_PEPPER": "ab" * 32}, path) == bytes.fromhex("ab" * 32)
    assert load_pepper({"HRBOT_PEPPER": "a long enough raw passphrase"}, path) == b"a long enough raw passphrase"
    other = tmp_path / "other"
    other.write_text("cd" * 16 + "\n")
    other.chmod(0o600)
    assert load_pepper({"HRBOT_PEPPER_FILE": str(other)}, path) == bytes.fromhex("cd" * 16)
    assert load_pepper({"HRBOT_PEPPER": "ab" * 32, "HRBOT_PEPPER_FILE": str(other)}, path) == bytes.fromhex("ab" * 32)
    assert load_pepper({}, path) == b"raw-file-pepper!" * 2


def test_too_short_is_a_clear_error_without_the_value(tmp_path: Path) -> None:
    with pytest.raises(PepperError, match="HRBOT_PEPPER is too short: it needs at least 16 bytes") as info:
        load_pepper({"HRBOT_PEPPER": "shortsecret"}, tmp_path / "pepper")
    assert "shortsecret" not in str(info.value) and isinstance(info.value, ConfigError)
    with pytest.raises(PepperError, match="too short"):
        load_pepper({"HRBOT_PEPPER": "abcd" * 7}, tmp_path / "pepper")  # 14 bytes of hex
    short = tmp_path / "short"
    short.write_bytes(b"tiny-secret")
    with pytest.raises(PepperError, match="too short") as info:
        load_pepper({"HRBOT_PEPPER_FILE": str(short)})
    assert "tiny-secret" not in str(info.value)
    with pytest.raises(PepperError, match="cannot read the pepper file"):
        load_pepper({"HRBOT_PEPPER_FILE": str(tmp_path / "missing")})
    assert not (tmp_path / "pepper").exists()


def test_loose_permissions_are_reported(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "pepper"
    path.write_bytes(b"x" * 32)
    path.chmod(0o644)
    load_pepper({}, path)
    assert any("chmod 600" in r.getMessage() for r in caplog.records)


def test_pepper_never_in_repr() -> None:
    pepper = bytes(range(16, 48))
    assert pepper.hex() not in repr(Pseudonymizer(pepper)) and str(pepper) not in repr(Pseudonymizer(pepper))


def test_default_place_is_next_to_the_database() -> None:
    assert pepper_path_for("data/hrbot.db") == Path("data/pepper")
    assert pepper_path_for("/srv/bot/hrbot.db") == Path("/srv/bot/pepper")
    assert pepper_path_for("postgresql://db/hrbot") == Path("data/pepper")
