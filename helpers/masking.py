"""Keep secrets out of logs and reports.

Three layers, applied together by ``mask_text``:
  * values registered at run time with ``register_secret`` (passwords, tokens,
    API keys the suite handled) are replaced wherever they appear;
  * shapes that are secret by nature (JWTs, ``bud_client_``/``bud_admin_``
    keys, ``Bearer <x>``) are replaced by pattern;
  * in structured data, values under secret-looking keys are replaced.

``MaskingFilter`` applies it to every log record.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from typing import Any

MASK = "***"

SECRET_KEYS = frozenset(
    {
        "password",
        "new_password",
        "confirm_password",
        "current_password",
        "access_token",
        "refresh_token",
        "id_token",
        "token",
        "exchange_token",
        "api_key",
        "apikey",
        "key",
        "secret",
        "client_secret",
        "authorization",
        "hf_token",
        "dapr-api-token",
        "x-app-api-token",
        "x-sandbox-admin-token",
        "cookie",
        "set-cookie",
        "x-clickhouse-key",
    }
)

_PATTERNS = [
    re.compile(r"eyJ[A-Za-z0-9_-]{5,}(?:\.+[A-Za-z0-9_-]*)+"),  # JWT (signed, alg:none, or cut short by a repr)
    re.compile(r"bud_(?:client|admin)_[A-Za-z0-9_-]{8,}"),  # gateway API keys
    re.compile(r"(?i)(?<=bearer )[^\s\"',;]+"),  # whatever follows "Bearer "
    re.compile(r"(?<=://)([^:/@\s]+):([^@/\s]+)(?=@)"),  # user:password@ in URLs
]

_registered: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Remember a secret value so that it is masked wherever it shows up later."""
    if value and len(value) >= 4:
        with _lock:
            _registered.add(value)


def registered_secrets() -> frozenset[str]:
    with _lock:
        return frozenset(_registered)


def is_secret_key(key: str) -> bool:
    return key.lower().replace("_", "-") in SECRET_KEYS or key.lower() in SECRET_KEYS


def mask_text(text: str) -> str:
    """Mask registered secrets and secret-shaped substrings in free text."""
    if not text:
        return text
    for value in sorted(registered_secrets(), key=len, reverse=True):
        text = text.replace(value, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: MASK if m.lastindex is None else f"{m.group(1)}:{MASK}", text)
    return text


def mask_data(value: Any) -> Any:
    """Deep copy of JSON-like data with secret keys' values masked."""
    if isinstance(value, dict):
        return {
            k: (MASK if isinstance(k, str) and is_secret_key(k) and v not in (None, "") else mask_data(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [mask_data(v) for v in value]
    if isinstance(value, str):
        return mask_text(value)
    return value


def mask_headers(headers: Any) -> dict[str, str]:
    return {k: (MASK if is_secret_key(k) else mask_text(str(v))) for k, v in dict(headers).items()}


def mask_body(content: bytes | str | None, limit: int = 2000) -> str:
    """Readable, masked rendering of an HTTP body for logs (JSON bodies by key)."""
    if not content:
        return ""
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    try:
        rendered = json.dumps(mask_data(json.loads(text)), ensure_ascii=False)
    except ValueError:
        rendered = mask_text(text)
    return rendered if len(rendered) <= limit else rendered[:limit] + f"... ({len(rendered)} chars)"


class MaskingFilter(logging.Filter):
    """Logging filter that masks secrets in every record's final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is not ours to fix here
            return True
        masked = mask_text(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        return True


_factory_installed = False


def install_log_masking() -> None:
    """Mask secrets in every log record created from now on, whatever handler gets it."""
    global _factory_installed
    if _factory_installed:
        return
    previous = logging.getLogRecordFactory()
    masker = MaskingFilter()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        masker.filter(record)
        return record

    logging.setLogRecordFactory(factory)
    _factory_installed = True
