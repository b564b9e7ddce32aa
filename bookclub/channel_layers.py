"""Channels' in-memory layer (one server process), with its clean-up of expired messages run at most once
a second instead of on every receive.

The stock layer scans every channel's queue and every group each time any channel receives. A push to a
meeting with N open streams makes N receives, so each push cost N² steps: with 500 phones, a quarter of
the server's time went there (py-spy, `make bench-live`). Messages expire after a minute, so a scan a
second loses nothing.
"""

from __future__ import annotations

import time

from channels import layers


class InMemoryChannelLayer(layers.InMemoryChannelLayer):
    clean_interval = 1.0  # seconds
    _cleaned_at = float("-inf")

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._cleaned_at >= self.clean_interval:
            self._cleaned_at = now
            super()._clean_expired()  # type: ignore[misc]  # private, so not in the stubs
