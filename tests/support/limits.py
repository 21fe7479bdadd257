"""Rate-limit counters on the test Redis, which every test that configures Redis shares."""

from __future__ import annotations

from reelsmith.accounts.ratelimit import KEY_PREFIX


def flush_rate_limits(url: str) -> None:
    """Delete every rate-limit counter on the Redis at ``url``."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        for key in client.scan_iter(f"{KEY_PREFIX}:*"):
            client.delete(key)
    finally:
        client.close()
