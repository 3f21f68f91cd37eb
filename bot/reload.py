"""Live content reload: on SIGHUP or when a content file changes. Bad content never replaces good content."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from . import metrics
from .content import validate_content
from .engine import Bundle, Engine

log = logging.getLogger("hrbot.reload")


def content_files(root: Path) -> dict[str, float]:
    """Every content file with its modification time: what --watch compares."""
    out: dict[str, float] = {}
    for folder in ("knowledge", "dialogues"):
        base = root / folder
        if base.is_dir():
            try:
                for path in base.rglob("*.yaml"):
                    try:
                        out[path.as_posix()] = path.stat().st_mtime_ns  # stat only: never opens (a FIFO would block)
                    except OSError:
                        continue  # removed while we looked, or a broken symlink: the reload reports it
            except OSError:
                continue  # a folder unreadable or gone mid-walk: the reload reports what it cannot read
    return out


class ContentReloader:
    def __init__(self, engine: Engine, root: Path) -> None:
        self.engine = engine
        self.root = root
        self._lock = asyncio.Lock()
        self._seen = content_files(root)

    def reload_now(self) -> bool:
        """Validate and, if clean, swap in the new content. Sessions are untouched: a person whose step is gone
        is taken back to the menu by the engine on their next message."""
        try:
            content, problems = validate_content(self.root)
            errors = [p for p in problems if not p.warning]
            if errors or content is None:
                for problem in errors:  # file:line: message; content text only, never anything a person typed
                    log.error("content reload refused: %s", problem)
                log.error("content reload refused: %d error(s); still serving the previous content", len(errors))
                metrics.reload(False)
                return False
            bundle = Bundle(content)
        except Exception as exc:  # a bug must not end the watcher or the SIGHUP handler silently
            log.error("content reload refused: %s while loading; still serving the previous content", type(exc).__name__, exc_info=True)
            metrics.reload(False)
            return False
        self.engine.swap(bundle)
        log.info("content reloaded: %d flows, %d locales", len(content.flows), len(content.locales))
        metrics.reload(True)
        return True

    async def reload(self) -> bool:
        async with self._lock:  # one reload at a time; the work runs off the event loop
            self._seen = content_files(self.root)
            return await asyncio.to_thread(self.reload_now)

    async def watch(self, interval: float = 1.0, settle: float = 0.3) -> None:
        """Poll the content files; reload once they changed and stopped changing for `settle` seconds."""
        while True:
            await asyncio.sleep(interval)
            current = content_files(self.root)
            if current == self._seen:
                continue
            await asyncio.sleep(settle)  # an editor saving several files at once
            if content_files(self.root) != current:
                continue
            await self.reload()
