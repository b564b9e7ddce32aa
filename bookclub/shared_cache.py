"""Reads and writes of rendered pages and per-version data in Django's cache that a cache outage cannot
break: with Redis unreachable, pages are rendered from the database as if the cache were empty, and the
outage is logged. (Rate limits do the same: bookclub/ratelimit.py.)"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache

logger = logging.getLogger(__name__)


def get(key: str) -> Any | None:
    try:
        return cache.get(key)
    except Exception:
        logger.warning("Cache entry %s not read: the cache is unavailable.", key, exc_info=True)
        return None


def set(key: str, value: Any, timeout: int) -> None:
    try:
        cache.set(key, value, timeout)
    except Exception:
        logger.warning("Cache entry %s not written: the cache is unavailable.", key, exc_info=True)
