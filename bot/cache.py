"""The build cache: what loading the content and building the matcher made, kept between processes.

Files live in $HRBOT_CACHE_DIR (else ~/.cache/hrbot; "off" disables), a folder only this user owns and nobody
else can write, since what it holds decides how messages are read; a file is read only when it is a regular file
(not a link) of this user that nobody else can write. Each is named by the hash of everything it was made from,
so an edit makes a new one and an old one is never taken for it; the CACHE_KEEP most recently used of each kind
are kept. A file that does not check out is ignored and rebuilt.

Pickle is used only for the loaded content and the built index (`read_pickle`): never from a path others can
write, and what it gives back is checked for its type and the key it was saved under.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import pickle
import stat
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import BinaryIO, TypeVar

log = logging.getLogger(__name__)

CACHE_KEEP = 8  # cache files kept per kind, the most recently used: each content edit makes a new one
MAX_JSON = 64 << 20
T = TypeVar("T")


def cache_dir() -> Path | None:
    """$HRBOT_CACHE_DIR, else ~/.cache/hrbot; "off" disables. None when the folder is not private to this user."""
    setting = os.environ.get("HRBOT_CACHE_DIR", "")
    if setting.lower() in ("off", "0", "no", "none"):
        return None
    folder = Path(setting) if setting else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "hrbot"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        info = folder.stat()
    except OSError:
        return None
    if not private(info):
        log.warning("build cache ignored: its folder is not private to this user")
        return None
    return folder


def private(info: os.stat_result) -> bool:
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def open_private(path: Path) -> BinaryIO | None:
    """The file at `path` for reading, if it is a regular file (not a link) of this user that nobody else can write."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if stat.S_ISREG(info.st_mode) and private(info):
            return os.fdopen(fd, "rb")
    except OSError:
        pass
    os.close(fd)
    return None


@cache
def code_version() -> str:
    """A hash of this package's source: a cache of built objects is only good for the code that built them."""
    h = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        h.update(str(path.relative_to(package)).encode() + b"\0")
        with contextlib.suppress(OSError):
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _read(name: str, load: Callable[[BinaryIO], object]) -> object | None:
    """What `load` makes of the private cache file `name`, or None when it is absent, not private or does not load."""
    folder = cache_dir()
    f = open_private(folder / name) if folder is not None else None
    if f is None or folder is None:
        return None
    try:
        with f:
            data = load(f)
    except Exception:  # a truncated or foreign file can fail in many ways; it is only a cache
        return None
    used(folder / name)
    return data


def read_json(name: str) -> object | None:
    """A JSON file of the cache, or None when absent, too big, not JSON or not private."""

    def load(f: BinaryIO) -> object:
        if os.fstat(f.fileno()).st_size > MAX_JSON:
            raise ValueError("too big")
        return json.loads(f.read())

    return _read(name, load)


def write_json(name: str, data: object) -> None:
    _write(name, lambda f: f.write(json.dumps(data, ensure_ascii=False).encode("utf-8")))


def read_pickle(name: str, key: str, kind: type[T]) -> T | None:
    """The object `write_pickle` saved under `name` with the same `key`, if it is a `kind`; else None."""
    saved = _read(name, pickle.load)  # unpickled only from a private file of this user (see open_private)
    if not (isinstance(saved, tuple) and len(saved) == 2 and saved[0] == key and isinstance(saved[1], kind)):
        return None
    return saved[1]


def write_pickle(name: str, key: str, obj: object) -> None:
    _write(name, lambda f: pickle.dump((key, obj), f, protocol=pickle.HIGHEST_PROTOCOL))


def _write(name: str, dump: Callable[[BinaryIO], object]) -> None:
    folder = cache_dir()
    if folder is None:
        return
    if write_atomic(folder / name, dump):
        prune(folder, name.split("-", 1)[0])


def write_atomic(path: Path, dump: Callable[[BinaryIO], object]) -> bool:
    """Write through `dump` aside and rename: a reader sees the old file or the whole new one, never half of it."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".cache-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            dump(f)
        os.replace(tmp, path)
        return True
    except (OSError, pickle.PicklingError, TypeError, AttributeError) as exc:
        log.warning("cache not written: %s", type(exc).__name__)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        return False


def used(path: Path) -> None:
    """Mark a cache file (and a model's weights beside it) as just used, so pruning keeps it."""
    for p in (path, path.with_suffix(".npy")) if path.suffix == ".npz" else (path,):
        with contextlib.suppress(OSError):
            os.utime(p)


def prune(folder: Path, kind: str) -> None:
    """Keep the CACHE_KEEP most recently used caches of one kind ("model", "index", "content", "lemmas",
    "common"); a model is about 130 MB. A model's two files (.npz and .npy) go together."""
    groups: dict[str, list[tuple[float, Path]]] = {}
    try:
        for p in folder.glob(f"{kind}-*.*"):
            if p.is_file():
                groups.setdefault(p.name.split(".", 1)[0], []).append((p.stat().st_mtime, p))
    except OSError:
        return
    newest = sorted(groups.values(), key=lambda files: max(files)[0], reverse=True)
    for files in newest[CACHE_KEEP:]:
        for _, p in files:
            with contextlib.suppress(OSError):
                p.unlink()
