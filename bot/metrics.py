"""Prometheus metrics for `hrbot run --metrics-port N` (prometheus-client).

Every label value comes from a fixed set written in the code or declared in the content (flow ids): never
anything a person typed, never an id, never a campaign. A value outside its set is counted as "other", so a
bug elsewhere cannot grow a label without bound. The calls are cheap and never raise: the serving path calls
them as it goes (adapter, transport, storage, reload); the metrics server runs in its own thread.

    hrbot_updates_total{kind}                  updates handled: message, button, other
    hrbot_update_seconds{kind}                 handling one update: from its turn to its last reply sent (histogram)
    hrbot_replies_total{kind}                  replies by kind: answer, emergency, flow, combo, fallback, ...
    hrbot_emergencies_total{flow}              emergency steps shown, by emergency flow
    hrbot_send_retries_total{method}           Bot API calls retried (network errors, 5xx)
    hrbot_send_failures_total{method}          Bot API calls given up on
    hrbot_store_faults_total{backend,operation}  store operations that failed (the store degrades)
    hrbot_reloads_total{result}                content reloads: ok, refused
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from typing import Protocol

from prometheus_client import REGISTRY, Counter, Histogram, start_http_server

UPDATE_KINDS = frozenset({"message", "button", "other"})
REPLY_KINDS = frozenset(
    {"emergency", "flow", "answer", "combo", "clarify", "fallback", "smalltalk", "command", "notice", "forget", "error"}
)
METHODS = frozenset({"sendMessage", "answerCallbackQuery", "setMyCommands", "getUpdates", "setWebhook"})
BACKENDS = frozenset({"sqlite", "postgresql", "memory"})
RESULTS = frozenset({"ok", "refused"})
OTHER = "other"

UPDATES = Counter("hrbot_updates", "Updates handled, by kind", ["kind"])
UPDATE_SECONDS = Histogram(
    "hrbot_update_seconds",
    "Seconds handling an update, from its turn (after earlier updates of its chat) to its replies sent",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
REPLIES = Counter("hrbot_replies", "Replies, by kind", ["kind"])
EMERGENCIES = Counter("hrbot_emergencies", "Emergency steps shown, by emergency flow", ["flow"])
SEND_RETRIES = Counter("hrbot_send_retries", "Bot API calls retried", ["method"])
SEND_FAILURES = Counter("hrbot_send_failures", "Bot API calls given up on", ["method"])
STORE_FAULTS = Counter("hrbot_store_faults", "Store operations that failed", ["backend", "operation"])
RELOADS = Counter("hrbot_reloads", "Content reloads, by result", ["result"])

# The store's operations as its code names them (Health.failed's `operation`) -> label; anything else is "other".
OPERATIONS = {
    "open": "open",
    "reading a session": "load_session",
    "saving a session": "save_session",
    "deleting a session": "delete_session",
    "sweeping old sessions": "sweep",
    "writing counters": "flush",
    "noting an unanswered question": "note_unanswered",
}


class _Reply(Protocol):
    @property
    def kind(self) -> str: ...

    @property
    def id(self) -> str | None: ...


def _pick(value: str, allowed: Collection[str]) -> str:
    return value if value in allowed else OTHER


def update(kind: str, seconds: float) -> None:
    label = _pick(kind, UPDATE_KINDS)
    UPDATES.labels(label).inc()
    UPDATE_SECONDS.labels(label).observe(max(seconds, 0.0))


def replies(sent: Iterable[_Reply], flows: Collection[str]) -> None:
    """Count replies by kind; an emergency also by its flow, if `flows` (the content's flow ids) has it."""
    for reply in sent:
        REPLIES.labels(_pick(reply.kind, REPLY_KINDS)).inc()
        if reply.kind == "emergency":
            EMERGENCIES.labels(_pick(reply.id or "", flows)).inc()


def send_retry(method: str) -> None:
    SEND_RETRIES.labels(_pick(method, METHODS)).inc()


def send_failure(method: str) -> None:
    SEND_FAILURES.labels(_pick(method, METHODS)).inc()


def store_fault(backend: str, operation: str) -> None:
    STORE_FAULTS.labels(_pick(backend, BACKENDS), OPERATIONS.get(operation, OTHER)).inc()


def reload(ok: bool) -> None:
    RELOADS.labels("ok" if ok else "refused").inc()


def serve(port: int, addr: str = "127.0.0.1") -> Callable[[], None]:
    """Serve /metrics in a thread (off the event loop); returns the function that stops it. OSError if the port is taken."""
    server, thread = start_http_server(port, addr, registry=REGISTRY)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return stop
