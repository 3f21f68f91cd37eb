"""Terminal adapter: talk to the bot line by line; buttons are shown as numbers you can type.

It runs on the same conversation service as Telegram and the web chat. Without `--database` the session and
the counters live in memory and are gone when you quit; with it, they are written like any channel's."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from .conversation import Conversation
from .engine import Engine, Incoming, Reply, ReplyButton
from .storage import Store, open_store

CONSOLE_KEY = "terminal"  # one person per terminal; the key is pseudonymised like a chat id


def render(reply: Reply) -> str:
    lines = []
    if reply.emergency:
        lines.append("🚨")
    lines.append(reply.text)
    for i, button in enumerate(reply.buttons, 1):
        lines.append(f"  [{i}] {button.label}")
    return "\n".join(lines)


class ConsoleChat:
    def __init__(self, conversation: Conversation, out: TextIO, locale_hint: str | None = None) -> None:
        self.conversation = conversation
        self.out = out
        self.locale_hint = locale_hint
        self.last_buttons: tuple[ReplyButton, ...] = ()

    async def say(self, line: str) -> list[Reply]:
        line = line.strip()
        if line.isdigit() and self.last_buttons and 1 <= int(line) <= len(self.last_buttons):
            incoming = Incoming(button=self.last_buttons[int(line) - 1].data, locale_hint=self.locale_hint)
        else:
            incoming = Incoming(text=line, locale_hint=self.locale_hint)
        replies = (await self.conversation.turn(CONSOLE_KEY, incoming, hint=self.locale_hint, deliver=self._show)).replies
        buttons = [r.buttons for r in replies if r.buttons]
        self.last_buttons = buttons[-1] if buttons else ()
        return replies

    async def _show(self, replies: list[Reply]) -> bool:
        for reply in replies:
            self.out.write(render(reply) + "\n\n")
        self.out.flush()
        return True

    async def run(self, stream: TextIO) -> int:
        interactive = stream.isatty()
        if interactive:
            self.out.write("hrbot terminal chat. Type a message, a button number, /help, or Ctrl-D to quit.\n\n")
            await self.say("/start")
        while True:
            if interactive:
                self.out.write("> ")
                self.out.flush()
            try:
                line = await asyncio.to_thread(stream.readline)
            except KeyboardInterrupt:
                break
            if not line:
                break
            if not line.strip():
                continue
            await self.say(line)
        return 0


def main_chat(engine: Engine, locale_hint: str | None = None, database: str | None = None) -> int:
    async def main() -> int:
        if database:
            from .privacy import load_pepper
            from .storage import pepper_path_for

            pepper = load_pepper(path=pepper_path_for(database))
            store: Store = open_store(database, pepper=pepper)
        else:
            import secrets

            pepper = secrets.token_bytes(32)  # nothing kept: a fresh pepper each run
            store = open_store("memory", pepper=pepper)
        await store.open()
        conversation = Conversation(engine, store, pepper, channel="terminal")
        try:
            return await ConsoleChat(conversation, sys.stdout, locale_hint).run(sys.stdin)
        finally:
            await conversation.shutdown()

    return asyncio.run(main())
