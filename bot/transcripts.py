"""Conversation tests written as YAML transcripts, runnable by pytest and `hrbot test-conversations`.

name: Opioid overdose, walked with buttons
locale: en                      # optional: the person's chosen language
steps:
  - user: my friend isnt breathing       # or `press: <button label>` from the last reply
    expect:
      kind: emergency                    # emergency|flow|answer|combo|clarify|fallback|command|notice
      id: emergency-opioid-overdose      # entry or flow id (combo: "a+b")
      step: call                         # where the session is now ("none" when out of any flow)
      emergency: true
      text_starts: "1. Call"
      text_contains: [naloxone]
      buttons: ["They're breathing now"] # labels that must be offered
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .engine import Engine, Incoming, Reply
from .errors import Problem
from .session import Session
from .yamlsafe import LDict, line_of, load_yaml

_EXPECT_KEYS = {"kind", "id", "step", "flow", "emergency", "text_starts", "text_contains", "buttons", "locale"}


@dataclass(frozen=True, slots=True)
class Result:
    path: str
    name: str
    steps: int
    failures: tuple[Problem, ...]


def _check(expect: LDict, reply: Reply, session: Session, rel: str) -> list[Problem]:
    out: list[Problem] = []

    def fail(key: str, want: object, got: object) -> None:
        out.append(Problem(rel, line_of(expect, key), f"{key}: expected {want!r}, got {got!r}"))

    for key in expect:
        if key not in _EXPECT_KEYS:
            out.append(Problem(rel, line_of(expect, key), f"unknown expectation {key!r}; known: {', '.join(sorted(_EXPECT_KEYS))}"))
    if "kind" in expect and reply.kind != expect["kind"]:
        fail("kind", expect["kind"], reply.kind)
    if "id" in expect and reply.id != expect["id"]:
        fail("id", expect["id"], reply.id)
    if "locale" in expect and reply.locale != expect["locale"]:
        fail("locale", expect["locale"], reply.locale)
    if "emergency" in expect and reply.emergency != bool(expect["emergency"]):
        fail("emergency", expect["emergency"], reply.emergency)
    if "step" in expect:
        want = None if expect["step"] in ("none", None) else expect["step"]
        if session.step != want:
            fail("step", expect["step"], session.step or "none")
    if "flow" in expect and session.flow != expect["flow"]:
        fail("flow", expect["flow"], session.flow)
    if "text_starts" in expect and not reply.text.startswith(str(expect["text_starts"])):
        fail("text_starts", expect["text_starts"], reply.text[:60])
    contains = expect.get("text_contains") or []
    for part in [contains] if isinstance(contains, str) else contains:
        if str(part).casefold() not in reply.text.casefold():
            fail("text_contains", part, reply.text[:60] + "…")
    labels = [b.label for b in reply.buttons]
    for label in expect.get("buttons") or []:
        if label not in labels:
            fail("buttons", label, labels)
    return out


def run_transcript(engine: Engine, path: Path, rel: str | None = None) -> Result:
    rel = rel or path.as_posix()
    data, problems = load_yaml(path, rel)
    if data is None:
        return Result(rel, path.stem, 0, tuple(problems or [Problem(rel, 1, "empty transcript")]))
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
        return Result(rel, path.stem, 0, (Problem(rel, line_of(data), "a transcript needs a 'steps' list"),))
    session = Session()
    failures: list[Problem] = []
    if data.get("locale"):
        engine.handle(Incoming(text=f"/locale {data['locale']}"), session)
    last: Reply | None = None
    steps = data["steps"]
    for i, step in enumerate(steps):
        line = line_of(steps, i)
        if not isinstance(step, dict) or ("user" in step) == ("press" in step):
            failures.append(Problem(rel, line, "each step needs exactly one of 'user' or 'press'"))
            break
        if "press" in step:
            label = str(step["press"])
            match = [b for b in (last.buttons if last else ()) if b.label == label]
            if not match:
                offered = [b.label for b in last.buttons] if last else []
                failures.append(Problem(rel, line, f"press: no button {label!r}; offered: {offered}"))
                break
            replies = engine.handle(Incoming(button=match[0].data), session)
        else:
            replies = engine.handle(Incoming(text=str(step["user"])), session)
        last = replies[-1]
        expect = step.get("expect")
        if isinstance(expect, LDict):
            failures.extend(_check(expect, last, session, rel))
    return Result(rel, str(data.get("name") or path.stem), len(steps), tuple(failures))


def run_all(engine: Engine, paths: list[Path], root: Path | None = None) -> list[Result]:
    results = []
    for path in paths:
        files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
        for file in files:
            rel = file.resolve().relative_to(root.resolve()).as_posix() if root and file.resolve().is_relative_to(root.resolve()) else None
            results.append(run_transcript(engine, file, rel))
    return results
