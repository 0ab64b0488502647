"""Per-API-key rate limits (the ``limits`` library): 429 with ``Retry-After`` past the limit.

The limit (``settings.rate_limit``, e.g. ``600/minute``; empty for none) counts every authenticated request
of one key in a moving window. Counts live in ``settings.rate_limit_storage``: ``memory://`` (one server
process, the default) or a ``redis://`` URL shared by several servers.
"""

from __future__ import annotations

import math
import time

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from api.errors import ApiProblem
from api.settings import Settings
from api.storage import Principal


class RateLimiter:
    """Count requests per API key and refuse those over the limit."""

    def __init__(self, settings: Settings) -> None:
        self._item = parse(settings.rate_limit) if settings.rate_limit else None
        self._limiter = MovingWindowRateLimiter(storage_from_string(settings.rate_limit_storage))
        self._text = settings.rate_limit

    def check(self, principal: Principal) -> None:
        """Count one request of ``principal``'s key.

        Raises
        ------
        ApiProblem
            429 with ``Retry-After`` [s] when the key is over its limit.
        """
        if self._item is None:
            return
        key = f"key-{principal.api_key_id}" if principal.api_key_id is not None else f"org-{principal.org_id}"
        if self._limiter.hit(self._item, key):
            return
        stats = self._limiter.get_window_stats(self._item, key)
        retry_after_s = max(1, math.ceil(stats.reset_time - time.time()))
        raise ApiProblem(
            429,
            "Too many requests",
            f"this API key is over its limit of {self._text}; retry in {retry_after_s} s",
            slug="rate-limited",
            headers={"Retry-After": str(retry_after_s)},
        )
