"""Service configuration, read once from ``JIPPNAS_*`` environment variables.

Every part (web app, CLI, Celery workers, benchmarks) builds its settings here so the
same variables mean the same thing everywhere.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from limits import parse_many

PREFIX = "JIPPNAS_"
# memory: the embedded engine without files (tests, throw-away stores; lost on exit).
ENGINES = ("embedded", "opensearch", "memory")


class ConfigError(ValueError):
    """A configuration value is missing or malformed."""


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(PREFIX + name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{PREFIX}{name} must be an integer, got {raw!r}") from exc


def _optional_int(env: Mapping[str, str], name: str) -> int | None:
    return None if env.get(PREFIX + name) in (None, "") else _int(env, name, 0)


def rate_limit(name: str, raw: str | None) -> str | None:
    """A rate in limits' notation ("120 per minute", "10/second; 1000/day"), None when off.

    Checked here so a typo stops the service at startup instead of failing every request.
    """
    value = (raw or "").strip()
    if value.lower() in ("", "off"):
        return None
    try:
        valid = all(item.amount > 0 for item in parse_many(value))
    except ValueError:
        valid = False
    if not valid:
        raise ConfigError(
            f"{name} must be a rate such as '120 per minute' or '10/second; 1000/day', "
            f"or 'off' to disable it; got {raw!r}"
        )
    return value


def _rate(env: Mapping[str, str], name: str, default: str | None) -> str | None:
    raw = env.get(PREFIX + name)
    return default if raw is None else rate_limit(PREFIX + name, raw)


def _tokens(raw: str | None) -> tuple[str, ...]:
    """Comma-separated values (several API tokens can be configured to rotate them)."""
    return tuple(t.strip() for t in (raw or "").split(",") if t.strip())


@dataclass(frozen=True)
class Settings:
    engine: str = "embedded"
    data_dir: Path = Path("var")
    opensearch_url: str = "http://127.0.0.1:9200"
    opensearch_index: str = "jippnas-innovations"
    opensearch_shards: int = 1  # primaries of a new index generation (reindex applies it)
    opensearch_replicas: int | None = None  # None: one copy wherever a second node exists
    redis_url: str | None = None
    embedding_model: str | None = None
    api_tokens: tuple[str, ...] = field(default=(), repr=False)
    environment: str = "development"
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 10 * 1024 * 1024
    max_upload_bytes: int = 50 * 1024 * 1024
    max_job_records: int = 50_000
    # Records embedded (and committed) together: the encoder sorts a batch by length, so
    # larger batches pad less; 256 keeps ingest near bare-encode speed (bench/results.md).
    ingest_batch_size: int = 256
    job_chunk_size: int = 100
    task_visibility_timeout: int = 300
    # Retries of a task whose engine is unreachable (backoff 2, 4, ... capped at 60 s:
    # 30 retries wait about 25 minutes) before its job is marked failed.
    task_max_retries: int = 30
    # Requests per client address, each a budget of its own (app/ratelimit.py); None = off.
    rate_limit_read: str | None = "120 per minute"
    rate_limit_write: str | None = "30 per minute"
    rate_limit_jobs: str | None = "10 per minute"
    # Reverse proxies in front of the app whose X-Forwarded-For is trusted (0 = none).
    trusted_proxies: int = 0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        engine = env.get(PREFIX + "ENGINE", "embedded").strip().lower()
        if engine not in ENGINES:
            raise ConfigError(f"{PREFIX}ENGINE must be one of {', '.join(ENGINES)}, got {engine!r}")
        return cls(
            engine=engine,
            data_dir=Path(env.get(PREFIX + "DATA_DIR") or "var"),
            opensearch_url=env.get(PREFIX + "OPENSEARCH_URL") or cls.opensearch_url,
            opensearch_index=env.get(PREFIX + "OPENSEARCH_INDEX") or cls.opensearch_index,
            opensearch_shards=_int(env, "OPENSEARCH_SHARDS", cls.opensearch_shards),
            opensearch_replicas=_optional_int(env, "OPENSEARCH_REPLICAS"),
            redis_url=env.get(PREFIX + "REDIS_URL") or None,
            embedding_model=env.get(PREFIX + "EMBEDDING_MODEL") or None,
            api_tokens=_tokens(env.get(PREFIX + "API_TOKEN")),
            environment=(env.get(PREFIX + "ENV") or "development").strip().lower(),
            cors_origins=_tokens(env.get(PREFIX + "CORS_ORIGINS")),
            max_body_bytes=_int(env, "MAX_BODY_BYTES", cls.max_body_bytes),
            max_upload_bytes=_int(env, "MAX_UPLOAD_BYTES", cls.max_upload_bytes),
            max_job_records=_int(env, "MAX_JOB_RECORDS", cls.max_job_records),
            ingest_batch_size=_int(env, "INGEST_BATCH_SIZE", cls.ingest_batch_size),
            job_chunk_size=_int(env, "JOB_CHUNK_SIZE", cls.job_chunk_size),
            task_visibility_timeout=_int(
                env, "TASK_VISIBILITY_TIMEOUT", cls.task_visibility_timeout
            ),
            task_max_retries=_int(env, "TASK_MAX_RETRIES", cls.task_max_retries),
            rate_limit_read=_rate(env, "RATE_LIMIT_READ", cls.rate_limit_read),
            rate_limit_write=_rate(env, "RATE_LIMIT_WRITE", cls.rate_limit_write),
            rate_limit_jobs=_rate(env, "RATE_LIMIT_JOBS", cls.rate_limit_jobs),
            trusted_proxies=_int(env, "TRUSTED_PROXIES", cls.trusted_proxies),
        )

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    def check(self) -> None:
        """Refuse configurations that would be unsafe to serve."""
        if self.environment == "production" and not self.api_tokens:
            raise ConfigError(f"{PREFIX}ENV=production needs {PREFIX}API_TOKEN to be set")
        for scope in ("read", "write", "jobs"):
            rate_limit(f"rate_limit_{scope}", getattr(self, f"rate_limit_{scope}"))
        if self.trusted_proxies < 0:
            raise ConfigError(f"{PREFIX}TRUSTED_PROXIES must be 0 or more")
        if self.embedding_model:
            from indexer.embeddings import parse_model_name  # embeddings imports this module

            parse_model_name(self.embedding_model)
