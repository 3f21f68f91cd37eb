"""The HTTP layer under python-telegram-bot's Bot: aiohttp, a JSON body per call.

PTB's default (`HTTPXRequest`) costs more CPU per call than the rest of a turn together: httpcore's pool
walks every connection (a socket check each) twice per request, and the parameters are form-encoded one
character at a time. aiohttp (already a dependency, for `hrbot web`) takes a pooled connection in O(1), and
the Bot API takes `application/json` for every method that uploads no file (the bot uploads none).

Timeouts map onto PTB's as its own layer does, so `transport.deliver` can tell a call that never left from
one that may have arrived: waiting for a free connection plus connecting is bounded by `pool + connect` and
raises TimedOut caused by `aiohttp.ConnectionTimeoutError` (not sent); reading the answer is bounded by
`read` (TimedOut caused by `aiohttp.SocketTimeoutError`: it may have arrived). aiohttp has no write timeout
of its own: `write` bounds the whole call on top of the others. Other transport errors are NetworkError.

A proxy from the environment (HTTPS_PROXY, NO_PROXY and friends, as httpx honours them) is looked up once
per URL, not per call: aiohttp's `trust_env` asks the environment and reads ~/.netrc in a worker thread on
every request, two thread hops per message that also made the throughput swing by half from run to run.
No ~/.netrc credentials are sent (httpx sends none either; the Bot API takes none).
"""

from __future__ import annotations

import json
import ssl
from typing import Any

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from yarl import URL

_JSON = {"Content-Type": "application/json"}
Proxy = tuple[URL | None, aiohttp.BasicAuth | None]


def _tls() -> ssl.SSLContext:
    """The certificates httpx (PTB's default) trusts: certifi's, installed with httpx; else the system's."""
    try:
        import certifi
    except ImportError:
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


class AiohttpRequest(BaseRequest):
    """A `BaseRequest` on one aiohttp session with at most `connection_pool_size` connections."""

    def __init__(
        self,
        connection_pool_size: int = 8,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 5.0,
        write_timeout: float = 5.0,
        pool_timeout: float = 1.0,
    ) -> None:
        self.pool_size = connection_pool_size
        self._timeouts = {"connect": connect_timeout, "read": read_timeout, "write": write_timeout, "pool": pool_timeout}
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[URL, Proxy] = {}  # by origin (scheme, host, port): never the URL, which holds the token

    @property
    def read_timeout(self) -> float | None:
        return self._timeouts["read"]

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            # no trust_env: the proxy comes from `proxy_for`, once per URL (see the module docstring)
            connector = aiohttp.TCPConnector(limit=self.pool_size, limit_per_host=self.pool_size, ssl=_tls())
            self._session = aiohttp.ClientSession(connector=connector, headers={"User-Agent": self.USER_AGENT}, json_serialize=json.dumps)
            self._proxies.clear()

    async def shutdown(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    def proxy_for(self, url: str) -> Proxy:
        """The proxy the environment names for `url` (and its credentials), or (None, None); asked once per origin."""
        target = URL(url)
        origin = target.origin()
        found = self._proxies.get(origin)
        if found is None:
            try:
                found = get_env_proxy_for_url(target)
            except LookupError:  # none set, or NO_PROXY covers the host
                found = (None, None)
            self._proxies[origin] = found
        return found

    def _timeout(self, name: str, given: Any) -> float:
        return float(self._timeouts[name] if isinstance(given, DefaultValue) or given is None else given)

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        if request_data is not None and request_data.contains_files:
            raise NetworkError("AiohttpRequest sends no files")  # the bot uploads none; see the module docstring
        read = self._timeout("read", read_timeout)
        connect = self._timeout("connect", connect_timeout)
        pool = self._timeout("pool", pool_timeout)
        write = self._timeout("write", write_timeout)
        timeout = aiohttp.ClientTimeout(total=pool + connect + write + read, connect=pool + connect, sock_connect=connect, sock_read=read)
        body = json.dumps(request_data.parameters).encode() if request_data is not None else b"{}"
        proxy, proxy_auth = self.proxy_for(url)
        try:
            async with session.request(
                method, url, data=body, headers=_JSON, timeout=timeout, proxy=proxy, proxy_auth=proxy_auth
            ) as response:
                return response.status, await response.read()
        except aiohttp.ConnectionTimeoutError as exc:
            raise TimedOut("no connection to the Bot API in time; the request was not sent") from exc
        except TimeoutError as exc:  # aiohttp.SocketTimeoutError (read), or the whole call
            raise TimedOut() from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}") from exc
