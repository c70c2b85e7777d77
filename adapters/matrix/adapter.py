"""The Matrix adapter: the core's ChatAdapter port over matrix-nio, one client per start."""

import asyncio
import logging
from collections.abc import Callable

from nio import AsyncClient, AsyncClientConfig, LoginResponse, WhoamiResponse

from adapters.matrix.inbound import MatrixSync, SyncTokens
from adapters.matrix.outbound import NETWORK_ERRORS, MatrixOutbound
from bot.config import Config, Secrets
from bot.errors import ConfigError, DeliveryError
from bot.ports import EventSink
from bot.vocabulary import Platform

log = logging.getLogger(__name__)


class MatrixAdapter(MatrixOutbound):
    """Sending is `MatrixOutbound`'s; this adds the client's lifecycle and the sync."""

    platform = Platform.MATRIX

    def __init__(
        self,
        *,
        config: Config,
        secrets: Secrets,
        tokens: SyncTokens,
        may_sync: Callable[[], bool] = lambda: True,
        poll_timeout_ms: int = 10_000,
        timeline_limit: int = 50,
    ) -> None:
        self.config = config
        self.matrix = config.matrix
        self.secrets = secrets
        self.tokens = tokens
        # With several instances only the leader syncs; every instance can send.
        self.may_sync = may_sync
        self.poll_timeout_ms = poll_timeout_ms
        # Per room and sync; a longer gap (downtime) is backfilled with /messages.
        self.timeline_limit = timeline_limit
        self.client: AsyncClient | None = None
        self.user_id = self.matrix.user_id
        self.synced = asyncio.Event()  # set after the first sync of this start
        super().__init__(self._connected, language=config.chat.language)
        self._sync: MatrixSync | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    def _new_client(self) -> AsyncClient:
        client_config = AsyncClientConfig(
            max_limit_exceeded=0, max_timeouts=0, request_timeout=30, encryption_enabled=False
        )
        return AsyncClient(
            self.matrix.homeserver,
            self.matrix.user_id,
            device_id=self.matrix.device_id,
            config=client_config,
        )

    async def _authenticate(self) -> None:
        """Learn (token) or get (password) our identity before any sync; refusals raise."""
        client = self._connected()
        if self.secrets.matrix_access_token:
            client.access_token = self.secrets.matrix_access_token
            who = await client.whoami()
            if not isinstance(who, WhoamiResponse):
                raise ConfigError(f"POMOC_MATRIX_ACCESS_TOKEN refused: {who}")
            client.user_id = who.user_id
            client.device_id = who.device_id or self.matrix.device_id
        elif self.secrets.matrix_password:
            response = await client.login(self.secrets.matrix_password, device_name="Pomoc")
            if not isinstance(response, LoginResponse):
                raise ConfigError(f"Matrix login as {self.matrix.user_id} failed: {response}")
        else:
            raise ConfigError("set POMOC_MATRIX_ACCESS_TOKEN or POMOC_MATRIX_PASSWORD")
        self.user_id = client.user_id

    async def start(self, on_event: EventSink) -> None:
        """Connect; an unreachable homeserver is retried in the background, a refusal raises."""
        self.synced.clear()
        self.client = self._new_client()
        # With a token, sends work at once; our identity is confirmed before the first sync.
        self.client.access_token = self.secrets.matrix_access_token or ""
        pending = None
        try:
            await self._authenticate()
        except NETWORK_ERRORS as error:
            log.warning("Matrix homeserver unreachable at start, retrying: %r", error)
            pending = self._authenticate
        except BaseException:
            await self.client.close()
            self.client = None
            raise
        self._sync = MatrixSync(
            self.client,
            config=self.config,
            tokens=self.tokens,
            on_event=on_event,
            send=self.send,
            may_sync=self.may_sync,
            synced=self.synced,
            poll_timeout_ms=self.poll_timeout_ms,
            timeline_limit=self.timeline_limit,
        )
        self._sync.start(pending)

    async def stop(self, *, drain_timeout: float = 10) -> None:
        """Stop syncing, let the events already received be handled, save the token."""
        if self._sync is not None:
            await self._sync.stop(drain_timeout=drain_timeout)
            self._sync = None
        if self.client is not None:
            await self.client.close()
            self.client = None

    def _connected(self) -> AsyncClient:
        if self.client is None:
            raise DeliveryError("Matrix adapter is not started")
        return self.client
