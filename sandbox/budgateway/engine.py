"""A deterministic stand-in inference engine: same request, same answer."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from sandbox.common.clickhouse import uuid7

EMBEDDING_SIZE = 8


def new_id():
    return uuid7()


def _words(text: str) -> int:
    return max(1, len(text.split()))


def _last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user":
            content = message.get("content")
            return content if isinstance(content, str) else str(content)
    return ""


def chat(endpoint_name: str, upstream_model: str, body: dict[str, Any]) -> dict[str, Any]:
    prompt = _last_user_text(body)
    digest = hashlib.sha256(f"{upstream_model}|{prompt}".encode()).hexdigest()[:12]
    content = f"Sandbox reply {digest}: {prompt[:200]}"
    prompt_tokens = sum(_words(str(m.get("content", ""))) for m in body.get("messages") or [])
    completion_tokens = _words(content)
    return {
        "id": str(uuid7()),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": endpoint_name,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def embed(endpoint_name: str, body: dict[str, Any]) -> dict[str, Any]:
    inputs = body.get("input")
    texts = inputs if isinstance(inputs, list) else [inputs or ""]
    data = []
    for index, text in enumerate(texts):
        digest = hashlib.sha256(str(text).encode()).digest()
        data.append(
            {"object": "embedding", "index": index, "embedding": [round(b / 255, 6) for b in digest[:EMBEDDING_SIZE]]}
        )
    tokens = sum(_words(str(t)) for t in texts)
    return {
        "id": str(uuid7()),
        "object": "list",
        "data": data,
        "model": endpoint_name,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


def output_text(answer: dict[str, Any]) -> str:
    if answer.get("object") == "chat.completion":
        return answer["choices"][0]["message"]["content"]
    return f"{len(answer['data'])} embedding(s)"
