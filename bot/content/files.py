"""Reading content files safely: regular files inside the content tree only, never more than the size limit.

What this guards against (issue 13 item 9): an entry symlinked to /dev/zero passed a size check that saw 0 bytes
and then read gigabytes; a FIFO blocked `validate`, a reload and then shutdown (a thread stuck in open());
a 5,000-digit integer raised ValueError out of the YAML layer; a symlink could pull in any file on the machine.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from ..yamlsafe import MAX_BYTES, YamlFileError, parse_yaml

_KINDS = {
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a folder",
}
_INT_LIKE = re.compile(r"^[-+]?[0-9][0-9_]*$")


class FileRefused(Exception):
    """The file is not read; `line` and `message` say why (no file content in the message)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def inside(path: Path, root: Path) -> bool:
    """True when `path`, with every symlink resolved, stays under the (resolved) content root."""
    try:
        return path.resolve(strict=True).is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # missing, a broken link, or a symlink loop
        return False


def _kind(mode: int) -> str:
    return _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def read_bytes(path: Path, root: Path, limit: int = MAX_BYTES) -> bytes:
    """The bytes of a regular file under `root`, at most `limit`. Raises FileRefused."""
    try:
        real = path.resolve(strict=True)
    except RuntimeError:
        raise FileRefused(1, "symlink loop") from None
    except OSError as exc:
        raise FileRefused(1, f"cannot read file: {exc.strerror}") from None
    if not real.is_relative_to(root.resolve()):
        raise FileRefused(1, "symlink to a file outside the content folder; only files inside it are read")
    try:
        before = os.stat(real)  # never open a FIFO or a device: open() alone can block on a FIFO
    except OSError as exc:
        raise FileRefused(1, f"cannot read file: {exc.strerror}") from None
    if not stat.S_ISREG(before.st_mode):
        raise FileRefused(1, f"{_kind(before.st_mode)}, not a regular file; only regular files are read")
    try:
        # O_NONBLOCK: if it was swapped for a FIFO after the stat, open returns at once instead of waiting
        # for a writer; O_NOFOLLOW: nor for a symlink.
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise FileRefused(1, f"cannot read file: {exc.strerror}") from None
    try:
        now = os.fstat(fd)
        if not stat.S_ISREG(now.st_mode):
            raise FileRefused(1, f"{_kind(now.st_mode)}, not a regular file; only regular files are read")
        chunks: list[bytes] = []
        got = 0
        while got <= limit:  # the size is what is read, not what stat says (/dev/zero and /proc files say 0)
            chunk = os.read(fd, min(1 << 16, limit + 1 - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
    except OSError as exc:
        raise FileRefused(1, f"cannot read file: {exc.strerror}") from None
    finally:
        os.close(fd)
    if got > limit:
        raise FileRefused(1, f"file is over the limit of {limit:,} bytes")
    return b"".join(chunks)


def _long_number_line(text: str) -> int:
    """The line of the first plain scalar that looks like an integer too long for int() (see ValueError below)."""
    try:
        for event in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            if not isinstance(event, yaml.ScalarEvent) or event.style:  # plain scalars: style None, or "" from libyaml
                continue
            if len(event.value) > 1000 and _INT_LIKE.match(event.value):
                return event.start_mark.line + 1 if event.start_mark else 1
    except yaml.YAMLError:
        pass
    return 1


def parse_text(text: str) -> Any:
    """parse_yaml, with every failure (not only YAML syntax) turned into YamlFileError with a line."""
    try:
        return parse_yaml(text)
    except YamlFileError:
        raise
    except ValueError:  # Python refuses int() of more than 4,300 digits
        raise YamlFileError(_long_number_line(text), "a number is too long (over 4,300 digits); put text in quotes") from None
    except RecursionError:
        raise YamlFileError(1, "nested too deeply") from None


def load_file(path: Path, root: Path, display: str) -> tuple[Any, YamlFileError | None]:
    """Read and parse one content file: (data, None) or (None, the error with its line)."""
    try:
        raw = read_bytes(path, root)
    except FileRefused as exc:
        return None, YamlFileError(exc.line, exc.message)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, YamlFileError(1, f"not UTF-8 text (byte {exc.start})")
    try:
        return parse_text(text), None
    except YamlFileError as exc:
        return None, exc


def tree_digest(root: Path) -> str:
    """A hash of every file the content is loaded from (knowledge/ and dialogues/: names and bytes), the key of
    the loaded content's cache; "" when the tree holds anything but folders and regular files (a symlink, a
    FIFO) or a file that is not read: such a tree is always loaded in full, with every check and message."""
    h = hashlib.sha256()
    root = Path(root)
    for top in ("knowledge", "dialogues"):
        h.update(f"\0{top}\0".encode())
        base = root / top
        if base.is_symlink() or not base.is_dir():
            return ""
        for folder, dirs, files in os.walk(base, followlinks=False):
            dirs.sort()
            here = Path(folder)
            for name in dirs:
                if (here / name).is_symlink():
                    return ""
            for name in sorted(files):
                path = here / name
                try:
                    if not stat.S_ISREG(os.lstat(path).st_mode):
                        return ""
                    data = read_bytes(path, root)
                except (OSError, FileRefused):
                    return ""
                h.update(f"{path.relative_to(root)}\0{len(data)}\0".encode())
                h.update(data)
    return h.hexdigest()[:32]
