"""The storage interface every backend implements. Keys are pseudonyms; nothing identifying is stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..session import Session


@dataclass(frozen=True, slots=True, order=True)
class CounterKey:
    day: str  # YYYY-MM-DD (UTC)
    locale: str
    target: str  # topic or flow id, or a reply kind such as "fallback"
    campaign: str = ""


class Store(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None:
        """Flush counters and release connections."""

    async def load_session(self, key: str) -> Session | None: ...

    async def save_session(self, key: str, session: Session) -> None: ...

    async def delete_session(self, key: str) -> None: ...

    async def sweep(self, max_age_seconds: float) -> int:
        """Delete sessions idle longer than max_age_seconds; return how many."""

    def count(self, key: CounterKey, n: int = 1) -> None:
        """Buffer an increment; never waits on the disk."""

    async def flush(self) -> None:
        """Write buffered counters."""

    async def counters(self, since: str | None = None) -> list[tuple[CounterKey, int]]: ...
