"""budgateway (sandbox): health that reports ClickHouse, and status."""

import httpx
from fastapi.responses import JSONResponse

from sandbox.common.app_factory import create_service_app
from sandbox.settings import get_settings

VERSION = "sandbox"
settings = get_settings()
app = create_service_app("budgateway", settings=settings, health=False)


@app.get("/health")
async def health() -> JSONResponse:
    try:
        async with httpx.AsyncClient(timeout=2) as http:
            ok = (await http.get(f"{settings.url('clickhouse')}/ping")).status_code == 200
    except httpx.HTTPError:
        ok = False
    return JSONResponse({"gateway": "ok", "clickhouse": "ok" if ok else "error"}, status_code=200 if ok else 503)


@app.get("/status")
async def status() -> dict:
    return {"status": "ok", "version": VERSION}
