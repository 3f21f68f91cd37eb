"""Flows as state machines: where a session is, where a button or an answer takes it, and leaving."""

from __future__ import annotations

from .content import Content, Flow, Step
from .session import Session


def current(content: Content, session: Session) -> tuple[Flow, Step] | None:
    """The flow and step the session is in, or None (also when a reload removed them)."""
    if session.flow is None:
        return None
    flow = content.flows.get(session.flow)
    step = flow.steps.get(session.step or "") if flow else None
    if flow is None or step is None:
        return None
    return flow, step


def enter(session: Session, flow: Flow, step_id: str | None = None) -> Step:
    step = flow.steps[step_id or flow.start]
    if session.flow != flow.id:
        session.vars.clear()
    session.flow, session.step = flow.id, step.id
    return step


def leave(session: Session) -> None:
    session.flow = session.step = None
    session.vars.clear()


def after_show(session: Session, step: Step) -> None:
    """A step marked `end` releases the session once shown; its buttons still work (they carry flow and step)."""
    if step.end:
        leave(session)


def capture_substances(content: Content, session: Session, flow: Flow, step: Step, found: list[str]) -> Step:
    """Store the named substances in this and following substance-capturing steps; return where to go."""
    assert step.input is not None
    remaining = list(found)
    while step.input is not None and step.input.capture == "substance" and remaining:
        session.vars[step.input.into] = remaining.pop(0)
        step = flow.steps[step.input.goto]
    session.step = step.id
    return step
