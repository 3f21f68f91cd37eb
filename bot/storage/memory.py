"""In-memory store: for the terminal chat and tests. Same contract as the database backends."""

from __future__ import annotations

import time
from collections import Counter

from ..session import Session
from .base import CounterKey


class MemoryStore:
    def __init__(self) -> None:
        self._sessions: dict[str, tuple[str, float]] = {}
        self._pending: Counter[CounterKey] = Counter()
        self._counters: Counter[CounterKey] = Counter()

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        await self.flush()

    async def load_session(self, key: str) -> Session | None:
        found = self._sessions.get(key)
        return Session.from_json(found[0]) if found else None

    async def save_session(self, key: str, session: Session) -> None:
        self._sessions[key] = (session.to_json(), time.time())

    async def delete_session(self, key: str) -> None:
        self._sessions.pop(key, None)

    async def sweep(self, max_age_seconds: float) -> int:
        cutoff = time.time() - max_age_seconds
        old = [k for k, (_, seen) in self._sessions.items() if seen < cutoff]
        for k in old:
            del self._sessions[k]
        return len(old)

    def count(self, key: CounterKey, n: int = 1) -> None:
        self._pending[key] += n

    async def flush(self) -> None:
        self._counters.update(self._pending)
        self._pending.clear()

    async def counters(self, since: str | None = None) -> list[tuple[CounterKey, int]]:
        await self.flush()
        return sorted((k, v) for k, v in self._counters.items() if since is None or k.day >= since)
