"""One settings object for the API and the worker, read from the environment.

Every field is documented where it is defined; the README lists them as a table. A value that
does not parse fails at start-up with one line naming the variable (``load_settings``).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from orders.errors import ConfigError

NonNegativeSeconds = Annotated[float, Field(ge=0)]


class Settings(BaseSettings):
    """Configuration of the orders API and worker (environment variables, no prefix)."""

    model_config = SettingsConfigDict(
        env_prefix="", case_sensitive=False, extra="ignore", populate_by_name=True
    )

    # --- AWS APIs (real AWS, an in-cluster SQS/DynamoDB-API server, or a local one) ---
    aws_endpoint_url: str | None = Field(
        default=None,
        validation_alias="AWS_ENDPOINT_URL",
        description="Endpoint of both AWS APIs; empty means the real AWS endpoints.",
    )
    sqs_endpoint_url: str | None = Field(
        default=None,
        validation_alias="AWS_ENDPOINT_URL_SQS",
        description="SQS-only endpoint; overrides AWS_ENDPOINT_URL for SQS.",
    )
    dynamodb_endpoint_url: str | None = Field(
        default=None,
        validation_alias="AWS_ENDPOINT_URL_DYNAMODB",
        description="DynamoDB-only endpoint; overrides AWS_ENDPOINT_URL for DynamoDB.",
    )
    aws_region: str = Field(
        default="us-east-1",
        validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION"),
        description="AWS region.",
    )
    aws_connect_timeout_seconds: float = Field(
        default=2.0, gt=0, validation_alias="AWS_CONNECT_TIMEOUT_SECONDS"
    )
    aws_read_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        validation_alias="AWS_READ_TIMEOUT_SECONDS",
        description="Read timeout of AWS calls; must exceed WORKER_WAIT_SECONDS (long poll).",
    )
    aws_max_attempts: int = Field(
        default=3,
        ge=1,
        le=10,
        validation_alias="AWS_MAX_ATTEMPTS",
        description="Attempts per AWS call (botocore 'standard' retry mode).",
    )

    # --- queue and table ---
    queue_name: str = Field(
        default="orders", min_length=1, max_length=80, validation_alias="ORDERS_QUEUE_NAME"
    )
    queue_url: str | None = Field(
        default=None,
        validation_alias="ORDERS_QUEUE_URL",
        description="Queue URL; when empty it is resolved from ORDERS_QUEUE_NAME.",
    )
    dlq_name: str = Field(
        default="orders-dlq", min_length=1, max_length=80, validation_alias="ORDERS_DLQ_NAME"
    )
    dlq_url: str | None = Field(default=None, validation_alias="ORDERS_DLQ_URL")
    table_name: str = Field(
        default="orders", min_length=3, max_length=255, validation_alias="ORDERS_TABLE_NAME"
    )
    max_receive_count: int = Field(
        default=5,
        ge=1,
        le=1000,
        validation_alias="ORDERS_MAX_RECEIVE_COUNT",
        description="Receives before SQS moves a message to the DLQ (redrive policy).",
    )
    visibility_timeout_seconds: int = Field(
        default=30, ge=0, le=43200, validation_alias="ORDERS_VISIBILITY_TIMEOUT_SECONDS"
    )
    idempotency_ttl_seconds: int = Field(
        default=86400,
        ge=60,
        validation_alias="ORDERS_IDEMPOTENCY_TTL_SECONDS",
        description="How long an Idempotency-Key is remembered (DynamoDB TTL).",
    )
    recent_lookback_days: int = Field(
        default=7,
        ge=1,
        le=90,
        validation_alias="ORDERS_RECENT_LOOKBACK_DAYS",
        description="How many daily partitions GET /orders reads back.",
    )

    # --- worker ---
    worker_wait_seconds: int = Field(
        default=20,
        ge=0,
        le=20,
        validation_alias="WORKER_WAIT_SECONDS",
        description="SQS long-poll wait per receive.",
    )
    worker_batch_size: int = Field(default=10, ge=1, le=10, validation_alias="WORKER_BATCH_SIZE")
    worker_concurrency: int = Field(
        default=8,
        ge=1,
        le=64,
        validation_alias="WORKER_CONCURRENCY",
        description="Messages of a batch processed at the same time (threads).",
    )
    worker_retry_base_seconds: int = Field(
        default=2,
        ge=0,
        le=900,
        validation_alias="WORKER_RETRY_BASE_SECONDS",
        description="Visibility backoff after a transient failure: base * 2^(receives-1).",
    )
    worker_retry_max_seconds: int = Field(
        default=60, ge=0, le=43200, validation_alias="WORKER_RETRY_MAX_SECONDS"
    )
    worker_heartbeat_file: str | None = Field(
        default=None,
        validation_alias="WORKER_HEARTBEAT_FILE",
        description="File touched every poll; `orders-healthcheck` reads its age.",
    )
    queue_stats_interval_seconds: NonNegativeSeconds = Field(
        default=15.0,
        validation_alias="QUEUE_STATS_INTERVAL_SECONDS",
        description=(
            "How often the worker and the API read queue depths for the gauges "
            "(0: the worker reads at every poll, the API not at all)."
        ),
    )

    # --- pricing (app-java) ---
    pricing_url: str = Field(
        default="",
        validation_alias="PRICING_URL",
        description="Base URL of app-java; empty prices with the local fallback catalogue.",
    )
    pricing_timeout_seconds: float = Field(
        default=2.0, gt=0, le=60, validation_alias="PRICING_TIMEOUT_SECONDS"
    )
    pricing_max_attempts: int = Field(
        default=3, ge=1, le=10, validation_alias="PRICING_MAX_ATTEMPTS"
    )
    pricing_backoff_seconds: NonNegativeSeconds = Field(
        default=0.2, le=10, validation_alias="PRICING_BACKOFF_SECONDS"
    )
    pricing_backoff_max_seconds: NonNegativeSeconds = Field(
        default=2.0, le=60, validation_alias="PRICING_BACKOFF_MAX_SECONDS"
    )

    # --- API ---
    api_host: str = Field(default="127.0.0.1", validation_alias="API_HOST")
    api_port: int = Field(default=8000, ge=1, le=65535, validation_alias="API_PORT")
    admin_token: SecretStr | None = Field(
        default=None,
        validation_alias="ADMIN_TOKEN",
        description="Token for /admin/*; empty disables the admin API.",
    )

    # --- fault flags (game days): defaults until someone sets them at runtime ---
    fault_latency_ms: int = Field(default=0, ge=0, le=60000, validation_alias="FAULT_LATENCY_MS")
    fault_error_rate: float = Field(default=0.0, ge=0, le=1, validation_alias="FAULT_ERROR_RATE")
    fault_worker_crash: bool = Field(default=False, validation_alias="FAULT_WORKER_CRASH")
    fault_worker_slow_ms: int = Field(
        default=0, ge=0, le=600000, validation_alias="FAULT_WORKER_SLOW_MS"
    )
    faults_refresh_seconds: NonNegativeSeconds = Field(
        default=2.0,
        le=300,
        validation_alias="FAULTS_REFRESH_SECONDS",
        description="How long a process caches the shared fault flags.",
    )

    # --- telemetry and logs (exporters: standard OTEL_* variables only) ---
    deployment_environment: str = Field(
        default="dev-local", min_length=1, validation_alias="DEPLOYMENT_ENVIRONMENT"
    )
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")

    @field_validator(
        "aws_endpoint_url",
        "sqs_endpoint_url",
        "dynamodb_endpoint_url",
        "queue_url",
        "dlq_url",
        "worker_heartbeat_file",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("admin_token", mode="before")
    @classmethod
    def _empty_token_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("pricing_url")
    @classmethod
    def _pricing_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https:// (or be empty)")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @property
    def sqs_endpoint(self) -> str | None:
        """Effective SQS endpoint (service-specific first)."""
        return self.sqs_endpoint_url or self.aws_endpoint_url

    @property
    def dynamodb_endpoint(self) -> str | None:
        """Effective DynamoDB endpoint (service-specific first)."""
        return self.dynamodb_endpoint_url or self.aws_endpoint_url

    @property
    def admin_enabled(self) -> bool:
        return self.admin_token is not None


def _env_name(field: str) -> str:
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info else None
    if isinstance(alias, str):
        return alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return field.upper()


def load_settings() -> Settings:
    """Read the settings; an invalid value raises ConfigError naming the variable."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "?"
            problems.append(f"{_env_name(field)}: {error['msg']}")
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from None
