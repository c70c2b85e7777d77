"""Failed authentication kept cheap: bad tokens remembered, unknown ones limited per address."""

# A flood of made-up bearer tokens used to cost a database lookup each, on the thread pool every
# request shares, so good requests queued behind it. This gate sits in front of routing and of
# every credential check (shop tokens, the platform key, the metrics token): it learns from the
# answers. A token answered 401 is refused at once for a while, without routing or a lookup; a
# token that succeeded lately passes; any other token counts against its client address from the
# moment it arrives (so concurrent guesses cannot overshoot, while many requests with one new token
# count once), given back if it succeeds. Past `limit` a minute the address gets 429 for new tokens
# until its minute is over. The address is the
# connecting one, or what a trusted proxy says (`[server] trusted_proxies`, applied by uvicorn).

import math

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.panel.auth import bearer_token
from adapters.panel.guards import error_response
from bot import texts
from bot.clock import SystemTimer, Timer
from storage.repositories import hash_token

WINDOW_SECONDS = 60.0
CALLER = "caller"
REMEMBER_SECONDS = 60.0
# Bounds on what a flood can make us remember; reaching one forgets that table (a few more
# lookups, never a wrong answer: the gate only ever refuses early what the app refused).
MAX_ENTRIES = 100_000


class FailedAuth:
    """Per client address: at most `limit` unknown tokens tried a minute. A token is charged
    once however many requests carry it at the same time (a client starting up in parallel)."""

    def __init__(self, *, limit: int, timer: Timer | None = None) -> None:
        self.limit = limit
        self.timer = timer or SystemTimer()
        self._verdicts: dict[str, tuple[bool, float]] = {}  # token hash -> (worked, until)
        self._windows: dict[str, tuple[float, int]] = {}  # address -> (window start, tries)
        self._trying: dict[str, str] = {}  # token hash in flight -> the address it was charged to

    def verdict(self, token_hash: str) -> bool | None:
        """True for a token that worked lately, False for one refused lately, else None."""
        known = self._verdicts.get(token_hash)
        if known is None or known[1] <= self.timer.monotonic():
            return None
        return known[0]

    def _window(self, address: str, now: float) -> tuple[float, int]:
        window = self._windows.get(address)
        if window is None or window[0] + WINDOW_SECONDS <= now:
            return now, 0
        return window

    def attempt(self, address: str, token_hash: str) -> int | None:
        """Charge `address` for trying an unknown token (once while it is in flight); when the
        address is over the limit, the seconds it waits instead."""
        if token_hash in self._trying:
            return None
        now = self.timer.monotonic()
        started, tries = self._window(address, now)
        if tries >= self.limit:
            return max(1, math.ceil(started + WINDOW_SECONDS - now))
        for table in (self._windows, self._trying):
            if len(table) >= MAX_ENTRIES:
                table.clear()
        self._windows[address] = (started, tries + 1)
        self._trying[token_hash] = address
        return None

    def answered(self, token_hash: str, *, status: int, accepted: bool) -> None:
        """Learn from the app's answer: 401 refuses the token for a while; a success, or any
        answer after the credential check accepted it, proves it and gives its try back (a 404
        from a path that checks nothing proves nothing)."""
        if status == 401:
            self._remember(token_hash, worked=False)
        elif accepted or status < 400:
            self._remember(token_hash, worked=True)
            if (address := self._trying.pop(token_hash, None)) is not None:
                started, tries = self._window(address, self.timer.monotonic())
                self._windows[address] = (started, max(0, tries - 1))

    def finished(self, token_hash: str) -> None:
        self._trying.pop(token_hash, None)

    def _remember(self, token_hash: str, *, worked: bool) -> None:
        if len(self._verdicts) >= MAX_ENTRIES:
            self._verdicts.clear()
        self._verdicts[token_hash] = (worked, self.timer.monotonic() + REMEMBER_SECONDS)


class FailedAuthGate:
    """Bearer requests meet `FailedAuth` before routing; the app's answer teaches it."""

    def __init__(self, app: ASGIApp, *, guard: FailedAuth) -> None:
        self.app = app
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = bearer_token(Headers(scope=scope)) if scope["type"] == "http" else None
        if token is None:
            await self.app(scope, receive, send)
            return
        digest = hash_token(token)
        known = self.guard.verdict(digest)
        if known is False:
            refused = error_response(
                401, texts.UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"}
            )
            await refused(scope, receive, send)
            return
        address = scope["client"][0] if scope.get("client") else ""
        if known is None and (wait := self.guard.attempt(address, digest)) is not None:
            headers = {"Retry-After": str(wait)}
            await error_response(429, texts.AUTH_FLOOD, headers=headers)(scope, receive, send)
            return

        async def learn(message: Message) -> None:
            if message["type"] == "http.response.start":
                # The credential check leaves its caller in the request's state (auth.py).
                accepted = CALLER in scope.get("state", {})
                self.guard.answered(digest, status=message["status"], accepted=accepted)
            await send(message)

        try:
            await self.app(scope, receive, learn)
        finally:
            self.guard.finished(digest)
