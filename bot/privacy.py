"""Pseudonyms: sessions are keyed by HMAC-SHA256(pepper, chat id), never by the id itself; and the pepper."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from .errors import PepperError


class Pseudonymizer:
    def __init__(self, pepper: bytes) -> None:
        if len(pepper) < 16:
            raise ValueError("the pepper must be at least 16 bytes")
        self._pepper = pepper

    def key(self, chat_id: int | str) -> str:
        return hmac.new(self._pepper, str(chat_id).encode(), hashlib.sha256).hexdigest()

    def __repr__(self) -> str:  # never show the pepper
        return "Pseudonymizer(<pepper hidden>)"


PEPPER_MIN_BYTES = 16
DEFAULT_PEPPER_PATH = Path("data") / "pepper"

log = logging.getLogger("hrbot.privacy")


def _decode(raw: bytes, source: str) -> bytes:
    """Hex text (64 hex digits, say) is decoded; anything else is taken as raw bytes."""
    text = raw.strip()
    if text and len(text) % 2 == 0 and all(c in b"0123456789abcdefABCDEF" for c in text):
        value = bytes.fromhex(text.decode("ascii"))
    else:
        value = raw
    if len(value) < PEPPER_MIN_BYTES:
        raise PepperError(
            f"the pepper from {source} is too short: it needs at least {PEPPER_MIN_BYTES} bytes "
            f'(e.g. 64 hex digits from `python3 -c "import secrets; print(secrets.token_hex(32))"`)'
        )
    return value


def _read_file(path: Path, source: str) -> bytes:
    try:
        raw = path.read_bytes()
        mode = path.stat().st_mode
    except OSError as exc:
        raise PepperError(f"cannot read the pepper file {path} ({source}): {exc.strerror}") from None
    if mode & 0o077:
        log.warning("the pepper file %s can be read by other users; run: chmod 600 %s", path, path)
    return _decode(raw, f"{source} ({path})")


def _generate(path: Path) -> bytes:
    """Write a new random pepper readable only by its owner; if another process won the race, use theirs."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    pepper = secrets.token_bytes(32)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, pepper)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(temp, path)  # atomic: the file appears complete or not at all, and never replaces an existing one
    except FileExistsError:
        return _read_file(path, "the pepper file")
    finally:
        temp.unlink(missing_ok=True)
    log.info("generated a new pepper in %s (keep it: without it, existing sessions cannot be found)", path)
    return pepper


def load_pepper(env: Mapping[str, str] | None = None, path: str | os.PathLike[str] | None = None) -> bytes:
    """The secret pepper for pseudonyms, from the first of:

    1. HRBOT_PEPPER: hex digits (decoded) or any other text (its UTF-8 bytes); at least 16 bytes;
    2. HRBOT_PEPPER_FILE: a file holding the same;
    3. `path` (default data/pepper, or next to the SQLite database): read, or generated on first run with
       32 random bytes, mode 0600.
    """
    env = os.environ if env is None else env
    value = env.get("HRBOT_PEPPER")
    if value:
        return _decode(value.encode("utf-8"), "HRBOT_PEPPER")
    file_name = env.get("HRBOT_PEPPER_FILE")
    if file_name:
        return _read_file(Path(file_name), "HRBOT_PEPPER_FILE")
    target = Path(path) if path is not None else DEFAULT_PEPPER_PATH
    if target.exists():
        return _read_file(target, "the pepper file")
    try:
        return _generate(target)
    except OSError as exc:
        raise PepperError(f"cannot create the pepper file {target}: {exc.strerror}") from None
