"""budapp's per-IP rate limits on the auth routes (only when enabled)."""

from __future__ import annotations

from fastapi import HTTPException, Request

LIMITS = {  # route -> (requests, window seconds)
    "/auth/register": (3, 600),
    "/auth/login": (10, 60),
    "/auth/refresh-token": (20, 60),
}


async def enforce(request: Request) -> None:
    """Dependency: 429 with Retry-After once the caller's window is used up."""
    if not request.app.state.settings.rate_limit_enabled:
        return
    limit, window = LIMITS[request.url.path]
    client = request.client.host if request.client else "unknown"
    key = f"sandbox:ratelimit:{request.url.path}:{client}"
    store = request.app.state.redis
    count = await store.incr(key)
    if count == 1:
        await store.expire(key, window)
    if count > limit:
        retry_after = max(1, await store.ttl(key))
        raise HTTPException(
            status_code=429,
            detail=f"Rate limit exceeded. Please try again in {retry_after} seconds.",
            headers={"Retry-After": str(retry_after)},
        )
