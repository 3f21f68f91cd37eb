"""Terminal adapter: talk to the engine line by line; buttons are shown as numbers you can type."""

from __future__ import annotations

import sys
from typing import TextIO

from .engine import Engine, Incoming, Reply
from .session import Session


def render(reply: Reply) -> str:
    lines = []
    if reply.emergency:
        lines.append("🚨")
    lines.append(reply.text)
    for i, button in enumerate(reply.buttons, 1):
        lines.append(f"  [{i}] {button.label}")
    return "\n".join(lines)


class ConsoleChat:
    def __init__(self, engine: Engine, out: TextIO, locale_hint: str | None = None) -> None:
        self.engine = engine
        self.out = out
        self.session = Session()
        self.locale_hint = locale_hint
        self.last_buttons: tuple = ()

    def say(self, line: str) -> list[Reply]:
        line = line.strip()
        if line.isdigit() and self.last_buttons and 1 <= int(line) <= len(self.last_buttons):
            incoming = Incoming(button=self.last_buttons[int(line) - 1].data, locale_hint=self.locale_hint)
        else:
            incoming = Incoming(text=line, locale_hint=self.locale_hint)
        replies = self.engine.handle(incoming, self.session)
        if any(r.kind == "forget" for r in replies):
            self.session = Session()
        for reply in replies:
            self.out.write(render(reply) + "\n\n")
        self.out.flush()
        buttons = [r.buttons for r in replies if r.buttons]
        self.last_buttons = buttons[-1] if buttons else ()
        return replies

    def run(self, stream: TextIO) -> int:
        interactive = stream.isatty()
        if interactive:
            self.out.write("hrbot terminal chat. Type a message, a button number, /help, or Ctrl-D to quit.\n\n")
            self.say("/start")
        while True:
            if interactive:
                self.out.write("> ")
                self.out.flush()
            try:
                line = stream.readline()
            except KeyboardInterrupt:
                break
            if not line:
                break
            if not line.strip():
                continue
            self.say(line)
        return 0


def main_chat(engine: Engine, locale_hint: str | None = None) -> int:
    return ConsoleChat(engine, sys.stdout, locale_hint).run(sys.stdin)
