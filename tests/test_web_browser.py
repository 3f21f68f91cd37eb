"""The web chat in a real browser: Debian's Chromium driven by Playwright, against a real `hrbot web` process
with a real SQLite file. An emergency, a button press, a combo, /forget, Russian, a deep link, a 320-px screen;
then a privacy scan of the database and the server's log.

Set HRBOT_SCREENSHOTS=folder to keep the phone-size screenshots (docs/ holds the ones the README shows)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--no-sandbox",  # root in CI
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",  # else Chromium tries Google's hosts, which this closed network refuses
    "--disable-component-update",
    "--disable-sync",
]

TOKENS: list[str] = []  # the pages' session tokens, for the privacy scan at the end

if not CHROMIUM:
    if os.environ.get("CI"):
        pytest.fail("CI=true but Chromium is not installed: .ci/run must install Debian's chromium", pytrace=False)
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)
playwright_api = pytest.importorskip("playwright.async_api")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path, subprocess.Popen]]:
    """A real `hrbot web` on a free port; yields (base URL, database, log file, process)."""
    where = tmp_path_factory.mktemp("web")
    database, log = where / "web.db", where / "web.log"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", str(where)),
        "HRBOT_CONTENT": str(ROOT),
        "HRBOT_CACHE_DIR": os.environ.get("HRBOT_CACHE_DIR", ""),
    }
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "web", "--port", "0", "--database", str(database), "--log-level", "DEBUG"],
            cwd=ROOT,
            env={k: v for k, v in env.items() if v},
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()  # "web chat on http://127.0.0.1:PORT/" once it listens
            found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
            assert found, f"hrbot web did not start: {line!r} {log.read_text()[-2000:]}"
            yield f"http://127.0.0.1:{found.group(1)}", database, log, proc
        finally:
            proc.terminate()
            code = proc.wait(timeout=30)
            if proc.stdout is not None:
                proc.stdout.close()
            assert code == 0, log.read_text()[-2000:]


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    async with playwright_api.async_playwright() as p:
        instance = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            yield instance
        finally:
            await instance.close()


async def phone(browser: object, locale: str = "en-GB") -> object:
    context = await browser.new_context(viewport={"width": 320, "height": 640}, locale=locale)  # type: ignore[attr-defined]
    blocked: list[str] = []
    # nothing but our own server: a request anywhere else would be a third-party request
    await context.route(re.compile(r"^(?!http://127\.0\.0\.1:).*"), lambda route: (blocked.append(route.request.url), route.abort()))
    context.blocked = blocked
    return context


async def more_than(page: object, selector: str, count: int, timeout: float = 15.0) -> None:
    """Wait until more than `count` elements match (the page's CSP forbids the string eval of wait_for_function)."""
    loop = asyncio.get_running_loop()
    until = loop.time() + timeout
    while await page.locator(selector).count() <= count:  # type: ignore[attr-defined]
        assert loop.time() < until, f"no new {selector} after {timeout} s"
        await asyncio.sleep(0.05)


async def say(page: object, text: str) -> None:
    count = await page.locator("#log .bot").count()  # type: ignore[attr-defined]
    await page.fill("#message", text)  # type: ignore[attr-defined]
    await page.press("#message", "Enter")  # type: ignore[attr-defined]
    await more_than(page, "#log .bot", count)


def shot(page: object, name: str) -> object:
    folder = os.environ.get("HRBOT_SCREENSHOTS")
    if folder:
        return page.screenshot(path=str(Path(folder) / name), full_page=False)  # type: ignore[attr-defined]
    return None


async def test_a_conversation_at_phone_size(server: tuple, browser: object) -> None:
    base = server[0]
    context = await phone(browser)
    page = await context.new_page()  # type: ignore[attr-defined]
    await page.goto(base + "/")
    await page.wait_for_selector("#log .bot")
    # a screen reader hears new replies, and the box has a label
    assert await page.get_attribute("#log", "aria-live") == "polite"
    assert await page.locator("label[for=message]").count() == 1

    await say(page, "my friend took heroin and now hes not breathing, lips going blue")
    alarm = page.locator("#log .emergency").first
    await alarm.wait_for()
    call = alarm.locator("a.call").first
    assert (await call.get_attribute("href") or "").startswith("tel:")
    assert (await alarm.inner_text()).find("1. ") >= 0
    assert await page.evaluate("() => document.documentElement.scrollWidth") <= 320  # nothing wider than the phone
    if (s := shot(page, "web-emergency-320.png")) is not None:
        await s

    await say(page, "/menu")
    count = await page.locator("#log .bot").count()
    await page.locator("#log .bot").last.get_by_role("button", name=re.compile("combination", re.I)).click()
    await more_than(page, "#log .bot", count)
    await say(page, "mdma and alcohol")
    text = await page.locator("#log .bot").last.inner_text()
    assert "MDMA" in text and "Alcohol" in text
    if (s := shot(page, "web-combo-320.png")) is not None:
        await s

    token = await page.evaluate("() => sessionStorage.getItem('hrbot-session')")
    assert token and re.fullmatch(r"[A-Za-z0-9_-]{22,128}", token)
    TOKENS.append(token)
    count = await page.locator("#log .bot").count()
    await page.click("#forget")
    await more_than(page, "#log .bot", count)
    for _ in range(100):
        if await page.evaluate("() => sessionStorage.getItem('hrbot-session')") is None:
            break
        await asyncio.sleep(0.05)
    assert await page.evaluate("() => sessionStorage.getItem('hrbot-session')") is None
    assert context.blocked == []  # type: ignore[attr-defined]
    await context.close()  # type: ignore[attr-defined]


async def test_russian_and_a_deep_link(server: tuple, browser: object) -> None:
    base = server[0]
    context = await phone(browser, "ru-RU")
    page = await context.new_page()  # type: ignore[attr-defined]
    await page.goto(base + "/?start=naloxone__flyer")
    await page.wait_for_selector("#log .bot")
    first = await page.locator("#log .bot").first.inner_text()
    assert "налоксон" in first.lower()
    assert page.url == base + "/"  # the link is not kept in the address bar or history
    assert await page.get_attribute("html", "lang") == "ru"
    await say(page, "сколько держится мефедрон")
    assert re.search("[а-я]", (await page.locator("#log .bot").last.inner_text()).lower())
    if (s := shot(page, "web-russian-320.png")) is not None:
        await s
    assert context.blocked == []  # type: ignore[attr-defined]
    await context.close()  # type: ignore[attr-defined]


def test_nothing_typed_or_identifying_was_kept(server: tuple) -> None:
    """Runs after the two conversations above (same server), once it stopped (counters flushed): the database
    and the log hold none of it."""
    _, database, log, proc = server
    proc.terminate()
    assert proc.wait(timeout=30) == 0
    assert "counters" in "\n".join(sqlite3.connect(database).iterdump())
    dump = "\n".join(sqlite3.connect(database).iterdump())
    text = log.read_text(encoding="utf-8", errors="replace")
    if not TOKENS:
        pytest.skip("runs after test_a_conversation_at_phone_size, whose page token it looks for")
    for typed in ("heroin and now", "lips going blue", "mdma and alcohol", "мефедрон", "flyer", "/api/turn", "Mozilla", *TOKENS):
        assert typed not in dump and typed not in text, typed
    # the only address in the log is the one the server binds; no client's
    assert all("listen=" in line or "web chat on" in line for line in text.splitlines() if "127.0.0.1" in line)
