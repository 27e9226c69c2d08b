"""Providers and the cloud-model catalog budapp syncs from BudConnect (seeded here)."""

from __future__ import annotations

import hashlib
from uuid import UUID

import asyncpg

PROVIDERS = [
    ("OpenAI", "openai", "GPT models served by OpenAI", ["text", "embedding"]),
    ("Anthropic", "anthropic", "Claude models served by Anthropic", ["text"]),
    ("Hugging Face", "huggingface", "Open models from the Hugging Face Hub", ["text", "embedding"]),
]

CHAT = ["/v1/chat/completions"]
EMBED = ["/v1/embeddings"]
TEXT = ["text_input", "text_output"]

CHAT_MODELS = {
    "openai": ["gpt-4o-mini", "gpt-4o", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-4-turbo", "gpt-3.5-turbo",
               "o3-mini", "o4-mini", "o1", "o3", "gpt-5-mini", "gpt-5-nano", "chatgpt-4o-latest"],
    "anthropic": ["claude-3-5-haiku-latest", "claude-3-7-sonnet-latest", "claude-sonnet-4-0", "claude-opus-4-0"],
}
EMBEDDING_MODELS = {"openai": ["text-embedding-3-small", "text-embedding-3-large", "text-embedding-ada-002"]}

CLOUD_MODELS = [
    *((kind, uri, uri, TEXT, CHAT) for kind, uris in CHAT_MODELS.items() for uri in uris),
    *((kind, uri, uri, ["text_input"], EMBED) for kind, uris in EMBEDDING_MODELS.items() for uri in uris),
]


def stable_id(*parts: str) -> UUID:
    """Same id on every start (so references survive a restart), shaped as a UUID4 as budapp requires."""
    digest = hashlib.sha256(("bud-sandbox:" + ":".join(parts)).encode()).digest()
    return UUID(bytes=digest[:16], version=4)


async def seed(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as connection, connection.transaction():
        for name, kind, description, capabilities in PROVIDERS:
            await connection.execute(
                "INSERT INTO provider (id, name, description, type, icon, capabilities) VALUES ($1,$2,$3,$4,$5,$6) "
                "ON CONFLICT (type) DO NOTHING",
                stable_id("provider", kind), name, description, kind, f"icons/providers/{kind}.png", capabilities,
            )
        for kind, name, uri, modality, endpoints in CLOUD_MODELS:
            await connection.execute(
                "INSERT INTO cloud_model (id, name, description, modality, source, uri, provider_id, tags, tasks, "
                "supported_endpoints) VALUES ($1,$2,$3,$4,$5,$6,$7,'[]','[]',$8) ON CONFLICT (uri, source) DO NOTHING",
                stable_id("cloud_model", kind, uri), name, f"{name} by {kind}", modality, kind, uri,
                stable_id("provider", kind), endpoints,
            )
