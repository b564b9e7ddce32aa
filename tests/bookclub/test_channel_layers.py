"""The in-memory channel layer cleans out expired messages once a second, not on every receive."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from channels import layers

from bookclub.channel_layers import InMemoryChannelLayer


def run(scenario):
    """On a thread of its own: the browser tests keep an event loop running in the main thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, scenario()).result()


def test_a_push_to_many_channels_scans_for_expired_messages_once_not_once_per_channel(monkeypatch):
    scans = []
    original = layers.InMemoryChannelLayer._clean_expired
    monkeypatch.setattr(
        layers.InMemoryChannelLayer, "_clean_expired", lambda self: scans.append(1) or original(self)
    )

    async def scenario():
        layer = InMemoryChannelLayer()
        channels = [await layer.new_channel() for _ in range(200)]
        for channel in channels:
            await layer.group_add("meeting-1", channel)
        await layer.group_send("meeting-1", {"type": "meeting.state", "text": "hello"})
        received = [await layer.receive(channel) for channel in channels]
        return received

    received = run(scenario)
    assert [message["text"] for message in received] == ["hello"] * 200
    assert len(scans) == 1  # the stock layer scans all 200 queues at each of the 200 receives


def test_expired_messages_are_still_dropped_once_the_interval_has_passed():
    async def scenario():
        layer = InMemoryChannelLayer(expiry=0)
        layer.clean_interval = 0
        stale = await layer.new_channel()
        await layer.send(stale, {"type": "old"})
        await asyncio.sleep(0.01)
        layer._clean_expired()
        return stale in layer.channels

    assert run(scenario) is False
