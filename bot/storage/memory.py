"""In-memory store: for the terminal chat and tests. Same contract as the database backends."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable

from ..session import Session
from .base import UNANSWERED_MIN_PEOPLE, Campaigns, CounterKey, KeyLocks, Unanswered, day_of
from .unanswered import UnansweredPolicy, Vocabulary
from .updates import MemoryUpdates


class MemoryStore:
    def __init__(
        self, *, pepper: bytes | None = None, unanswered_min_people: int = UNANSWERED_MIN_PEOPLE, campaigns: Iterable[str] = ()
    ) -> None:
        self._sessions: dict[str, tuple[str, float]] = {}
        self._pending: Counter[CounterKey] = Counter()
        self._counters: Counter[CounterKey] = Counter()
        self._policy = UnansweredPolicy(pepper, unanswered_min_people)
        self._candidates: dict[str, dict[str, float]] = {}  # text hash -> {who hash: first seen}
        self._kept: dict[str, list] = {}  # text hash -> [text, count, kept at, last asked]
        self._campaigns = Campaigns(campaigns)
        self._turns = KeyLocks()

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
        now = time.time()
        cutoff = now - max_age_seconds
        old = [k for k, (_, seen) in self._sessions.items() if seen < cutoff]
        for k in old:
            del self._sessions[k]
        expired = now - self._policy.ttl_seconds
        for text_hash, seen in list(self._candidates.items()):
            for who in [w for w, first in seen.items() if first < expired]:
                del seen[who]
            if not seen:
                del self._candidates[text_hash]
        for text_hash in [h for h, (_, _, kept, _) in self._kept.items() if kept < expired]:
            del self._kept[text_hash]
        return len(old)

    def count(self, key: CounterKey, n: int = 1) -> None:
        self._pending[self._campaigns.key(key)] += n

    def campaign_label(self, campaign: str | None) -> str:
        return self._campaigns.label(campaign)

    async def declare_campaign(self, name: str) -> None:
        self._campaigns.update({*self._campaigns.names, name})

    async def campaigns(self) -> list[str]:
        return sorted(self._campaigns.names)

    @contextlib.asynccontextmanager
    async def turn_lock(self, key: str) -> AsyncIterator[None]:
        async with self._turns.hold(key):
            yield

    async def flush(self) -> None:
        self._counters.update(self._pending)
        self._pending.clear()

    async def counters(self, since: str | None = None) -> list[tuple[CounterKey, int]]:
        await self.flush()
        return sorted((k, v) for k, v in self._counters.items() if since is None or k.day >= since)

    async def note_unanswered(self, pseudonym: str, text: str, vocabulary: Vocabulary = frozenset()) -> None:
        note = await asyncio.to_thread(self._policy.note, pseudonym, text, vocabulary)  # may load word lists
        if note is None:
            return
        now = time.time()
        kept = self._kept.get(note.text_hash)
        if kept is not None:
            kept[1] += 1
            kept[3] = now
            return
        seen = self._candidates.setdefault(note.text_hash, {})
        seen.setdefault(note.who, now)
        if len(seen) >= self._policy.min_people:
            del self._candidates[note.text_hash]
            self._kept[note.text_hash] = [note.text, len(seen), now, now]

    async def unanswered(self, since: str | None = None) -> list[Unanswered]:
        found = [Unanswered(text, count, day_of(kept), day_of(last)) for text, count, kept, last in self._kept.values()]
        return sorted((u for u in found if since is None or u.last >= since), key=lambda u: (-u.count, u.text))

    # --- seen update ids (updates.py) ---------------------------------------------------------------------

    async def claim_updates(self, update_ids: list[int], owner: str, lease: float) -> dict[int, str]:
        return self._seen_updates().claim(update_ids, owner, lease)

    async def finish_updates(self, update_ids: list[int]) -> None:
        self._seen_updates().finish(update_ids)

    async def release_update(self, update_id: int, owner: str) -> None:
        self._seen_updates().release(update_id, owner)

    async def renew_updates(self, owner: str, lease: float) -> None:
        self._seen_updates().renew(owner, lease)

    def _seen_updates(self) -> MemoryUpdates:
        found = getattr(self, "_updates", None)  # set lazily: no change to __init__
        if found is None:
            found = self._updates = MemoryUpdates()
        return found
