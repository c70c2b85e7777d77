"""Webhooks out: signed POSTs to the shop platform's endpoints (Standard Webhooks: HMAC-SHA256
over id, timestamp and body, in headers, as Stripe and Slack sign theirs)."""

import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from standardwebhooks import Webhook

from bot.clock import Clock, SystemClock
from bot.config import WebhooksConfig
from bot.errors import DeliveryError, Failure

USER_AGENT = "Pomoc-Webhooks/1"


def signed_headers(signer: Webhook, *, event_id: str, body: str, now: datetime) -> dict[str, str]:
    """The Standard Webhooks headers: the event id (dedupe on it), when, and the signature."""
    moment = now.astimezone(UTC)
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signer.sign(event_id, moment, body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "").strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def classify(response: httpx.Response) -> DeliveryError | None:
    """None for a 2xx; else how the outbox should treat the refusal."""
    status = response.status_code
    if 200 <= status < 300:
        return None
    message = f"webhook endpoint answered {status}"
    if status in (408, 425, 429) or status >= 500:
        return DeliveryError(message, retry_after=_retry_after(response), code=str(status))
    if status in (400, 413, 422):  # this event can never be taken as it is
        return DeliveryError(message, failure=Failure.PERMANENT, code=str(status))
    # 401/403/404/410...: the endpoint or its secret needs an operator; its events wait.
    return DeliveryError(message, failure=Failure.CHANNEL, code=str(status))


class WebhookSender:
    """Implements bot.ports.WebhookSender for the endpoints named in `[webhooks]`."""

    def __init__(
        self,
        config: WebhooksConfig,
        *,
        secret: str,
        clock: Clock | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config
        self.signer = Webhook(secret)
        self.clock = clock or SystemClock()
        self.client = httpx.AsyncClient(
            timeout=config.timeout_seconds, transport=transport, follow_redirects=False
        )

    async def send(self, *, endpoint: str, event_id: str, body: dict[str, Any]) -> None:
        url = self.config.endpoints.get(endpoint)
        if url is None:
            raise DeliveryError(f"no webhook endpoint {endpoint!r}", failure=Failure.CHANNEL)
        await self.post(url, event_id=event_id, body=body)

    async def post(self, url: str, *, event_id: str, body: dict[str, Any]) -> httpx.Response:
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        headers = signed_headers(self.signer, event_id=event_id, body=data, now=self.clock.now())
        try:
            response = await self.client.post(url, content=data.encode(), headers=headers)
        except httpx.TimeoutException as error:
            raise DeliveryError(f"webhook timed out: {error!r}", code="timeout") from None
        except httpx.TransportError as error:  # refused, reset, no route: the receiver is down
            raise DeliveryError(
                f"webhook endpoint unreachable: {error!r}", failure=Failure.CHANNEL, code="down"
            ) from None
        refused = classify(response)
        if refused is not None:
            raise refused
        return response

    async def close(self) -> None:
        await self.client.aclose()
