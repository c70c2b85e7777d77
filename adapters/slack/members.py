"""Who is in each department channel: the agents who may act on its tickets, cached."""

import logging
import time

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.outbound import SDK_ERRORS

log = logging.getLogger(__name__)

TTL_SECONDS = 300.0  # joins and leaves arrive as events; this bounds what another instance saw


class Members:
    def __init__(self, client: AsyncWebClient, channels: frozenset[str]) -> None:
        self.client = client
        self.channels = channels  # the department channels
        self._known: dict[str, tuple[float, set[str]]] = {}

    async def of_channel(self, channel: str) -> set[str]:
        cached = self._known.get(channel)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        users: set[str] = set()
        cursor: str | None = None
        try:
            while True:
                response = await self.client.conversations_members(
                    channel=channel, cursor=cursor, limit=1000
                )
                users |= set(response.get("members") or [])
                cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
                if cursor is None:
                    break
        except SDK_ERRORS as error:
            log.warning("members of %s unknown (%r): nobody may act there for now", channel, error)
            return cached[1] if cached is not None else set()
        self._known[channel] = (time.monotonic() + TTL_SECONDS, users)
        return users

    async def channels_of(self, user: str) -> frozenset[str]:
        """The department channels `user` is a member of."""
        return frozenset([c for c in sorted(self.channels) if user in await self.of_channel(c)])

    def joined(self, channel: str, user: str) -> None:
        if channel in self._known:
            self._known[channel][1].add(user)

    def left(self, channel: str, user: str) -> None:
        if channel in self._known:
            self._known[channel][1].discard(user)
