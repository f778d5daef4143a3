"""The one settings object: every knob, read once from the environment (prefix MEMFEED_) or a .env file.

Nothing else in the project reads the environment; code receives a `Settings` instance.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, computed_field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"


class Settings(BaseSettings):
    """Service, storage, auth and recommender settings. See README.md for the table of all of them."""

    model_config = SettingsConfigDict(env_prefix="MEMFEED_", env_file=".env", extra="ignore")

    # storage and files
    var_dir: Path = Path("var")
    database_url: str = ""
    models_dir: Path = Path("models")
    redis_url: str | None = None

    # service
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "console"
    max_body_bytes: int = 1_048_576
    cors_origins: list[str] = Field(default_factory=list)
    served_by_header: bool = False
    """Add `X-Served-By: <worker pid>` to every response: shows which of N workers answered (tests, debugging
    a load balancer); off by default, since a pid tells clients nothing they need."""

    # auth
    auth: Literal["enabled", "disabled"] = "enabled"
    jwt_secret: str | None = None
    jwt_public_key: str | None = None
    jwt_audience: str | None = None
    jwt_issuer: str | None = None
    token_ttl_seconds: int = 3600
    secret_key: str | None = None
    api_key_cache_seconds: float = 30.0

    # rate limits: token buckets per API key and per end user, by route class (docs/operations.md). One app
    # key carries every user of a mobile app, so its budget is the whole app's peak with headroom (a breaker
    # against a leaked key or a runaway client, never a quota); the per-user budget is what stops abuse.
    rate_limit_enabled: bool = True
    rate_limit_redis_prefix: str = "memfeed:ratelimit"
    rate_limit_redis_timeout_seconds: float = Field(default=0.25, gt=0)
    rate_limit_events_per_minute: float = Field(default=60_000, gt=0)
    rate_limit_events_burst: int = Field(default=10_000, ge=1)
    rate_limit_events_user_per_minute: float = Field(default=120, gt=0)
    rate_limit_events_user_burst: int = Field(default=30, ge=1)
    rate_limit_feed_per_minute: float = Field(default=30_000, gt=0)
    rate_limit_feed_burst: int = Field(default=5_000, ge=1)
    rate_limit_feed_user_per_minute: float = Field(default=120, gt=0)
    rate_limit_feed_user_burst: int = Field(default=30, ge=1)
    rate_limit_memory_per_minute: float = Field(default=30_000, gt=0)
    rate_limit_memory_burst: int = Field(default=5_000, ge=1)
    rate_limit_memory_user_per_minute: float = Field(default=240, gt=0)
    rate_limit_memory_user_burst: int = Field(default=60, ge=1)
    rate_limit_admin_per_minute: float = Field(default=1_200, gt=0)
    rate_limit_admin_burst: int = Field(default=200, ge=1)
    rate_limit_default_per_minute: float = Field(default=30_000, gt=0)
    rate_limit_default_burst: int = Field(default=5_000, ge=1)
    rate_limit_default_user_per_minute: float = Field(default=120, gt=0)
    rate_limit_default_user_burst: int = Field(default=30, ge=1)

    # embedding
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    embedding_batch_size: int = 64
    embedding_device: str = "cpu"

    # serving processes
    serve_compute_threads: int = Field(default=1, ge=0)
    """BLAS and OpenMP threads per `memfeed serve` process (0: the libraries' default, one per core). One,
    because requests already run side by side and spinning library threads steal their CPU (memfeed/platform/threads.py)."""

    # vector index
    hnsw_threshold: int = 20_000
    hnsw_m: int = 32
    hnsw_ef_search: int = 128

    # ingest
    future_tolerance_seconds: int = 300

    # feed
    feed_history_events: int = 500
    feed_half_life_days: float = 14.0
    feed_negative_weight: float = 0.5
    feed_anchor_count: int = 8
    feed_new_item_slots: int = 0
    feed_preference_weight: float = 3.0
    """How many full-strength likes one stated `preference` memory counts as in the feed (0: ignored)."""
    feed_cache_seconds: float = 30.0
    """How long a computed feed page may be served again (0: off). Keys hold the user's event and memory
    versions and the model version, so new activity or a model swap shows at once; this bounds popularity lag."""
    similar_cache_seconds: float = 300.0
    cache_max_entries: int = 10_000
    cache_redis_prefix: str = "memfeed:cache:"
    cache_redis_timeout_seconds: float = 0.25
    feed_popularity_weight: float = 0.4
    feed_freshness_weight: float = 0.3
    feed_freshness_days: float | None = None
    """Half-life of the freshness prior; None: learned at training as a quantile of engagement ages."""
    feed_freshness_quantile: float = 0.5
    default_freshness_days: float = 7.0
    feed_popularity_window_days: float = 3650.0
    feed_max_cursor_items: int = 1000
    catalog_refresh_seconds: float = 2.0
    popularity_refresh_seconds: float = 60.0

    # training (defaults from the study in docs/quality.md)
    als_factors: int = 96
    als_regularization: float = 0.05
    als_iterations: int = 15
    als_alpha: float = 20.0
    train_half_life_days: float = 60.0
    cf_weight: float = 0.6
    holdout_fraction: float = 0.2
    eval_max_users: int = 1000
    promotion_margin: float = 0.0
    keep_versions: int = 5
    model_poll_seconds: float = 2.0

    # scheduling (used by pipelines)
    retrain_cron: str = "0 3 * * *"
    embed_interval_seconds: int = 600

    # llm memory (thresholds measured in tests/memory/test_memory.py; see docs/api.md)
    memory_merge_threshold: float = 0.90
    """Cosine at or above which a new memory restates an existing one (same user, session and kind)."""
    memory_cache_users: int = 256
    memory_fusion: Literal["rrf", "blend"] = "blend"
    """blend beat rrf on LoCoMo (evidence recall@10 0.66 vs 0.59; docs/quality.md)."""
    memory_rrf_k: int = 60
    memory_dense_weight: float = 1.0
    memory_lexical_weight: float = 1.0
    memory_recency_weight: float = 0.1
    memory_recency_half_life_days: float = 30.0
    memory_activity_limit: int = 500
    memory_max_per_user: int = 100_000
    memory_embed_batch_size: int = 256

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip().startswith("["):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @computed_field  # type: ignore[prop-decorator]
    @property
    def resolved_database_url(self) -> str:
        """The database URL in use: the configured one, or a SQLite file under `var_dir`."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'memfeed.db').as_posix()}"

    @property
    def auth_enabled(self) -> bool:
        return self.auth == "enabled"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings for entry points (CLI, server); tests build their own `Settings`."""
    return Settings()
