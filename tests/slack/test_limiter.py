"""The per-channel pacer on a fake timer: gaps of at least the interval, long holds refused."""

import asyncio
import itertools

import pytest

from adapters.slack.outbound import ChannelLimiter
from bot.errors import DeliveryError
from tests.fakes.clock import FakeClock


async def test_slots_of_one_channel_are_an_interval_apart_and_other_channels_do_not_wait():
    clock = FakeClock()
    limiter = ChannelLimiter(1.0, timer=clock)
    entered: list[tuple[str, float]] = []

    async def send(channel: str) -> None:
        async with limiter.slot(channel):
            entered.append((channel, clock.monotonic()))

    await asyncio.gather(*(send("C1") for _ in range(3)), send("C2"))
    c1 = [at for channel, at in entered if channel == "C1"]
    assert [round(b - a, 6) for a, b in itertools.pairwise(c1)] == [1.0, 1.0]
    assert clock.slept == [pytest.approx(1.0)] * 2  # only C1 waited: C2 went at once


async def test_a_hold_longer_than_the_wait_limit_goes_back_with_retry_after():
    clock = FakeClock()
    limiter = ChannelLimiter(1.0, max_wait=5.0, timer=clock)
    limiter.hold("C1", 30)
    with pytest.raises(DeliveryError) as failure:
        async with limiter.slot("C1"):
            pass
    assert failure.value.retry_after == pytest.approx(30)
    assert clock.slept == []  # refused at once, not waited out
    limiter.hold("C2", 3)
    async with limiter.slot("C2"):
        pass
    assert clock.slept == [pytest.approx(3)]
