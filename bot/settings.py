"""Every setting of Tone Coach, read once from the environment and ``.env`` (working directory).

:class:`Settings` is built in one place (``Settings.load()``, called by the CLI) and handed to
whatever needs it. A value that cannot work stops start-up with one line naming the variable.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.coaching.costs import Prices
from bot.coaching.llm import DEFAULT_MODEL, ModelSettings, ReasoningEffort

WatchMode = Literal["top", "replies"]
SharedChannels = Literal["private", "allow"]
#: In TONE_COACH_ADMINS: the workspace's admins and owners, as users.info reports them.
WORKSPACE_ADMINS = "workspace-admins"
_ADMIN_ID = re.compile(r"[UWS][A-Z0-9]{2,}")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,}")


class ConfigError(ValueError):
    """Settings that cannot work; the message is one line naming the variable and the fix."""


def _env(name: str) -> dict:
    # The field can be set by its environment name (and by its Python name in code and tests).
    return {"validation_alias": AliasChoices(name)}


class Settings(BaseSettings):
    """Tone Coach's configuration; see the README's configuration table."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        validate_by_name=True,
        frozen=True,
    )

    # -- Slack --------------------------------------------------------------------------
    bot_token: str | None = Field(None, **_env("SLACK_BOT_TOKEN"))
    signing_secret: str | None = Field(None, **_env("SLACK_SIGNING_SECRET"))
    app_token: str | None = Field(None, **_env("SLACK_APP_TOKEN"))
    api_url: str | None = Field(None, **_env("SLACK_API_URL"))
    client_id: str | None = Field(None, **_env("SLACK_CLIENT_ID"))
    client_secret: str | None = Field(None, **_env("SLACK_CLIENT_SECRET"))
    reaction: str = Field("mag", **_env("TONE_COACH_REACTION"))
    watch_channels_text: Annotated[str, NoDecode] = Field(
        "", **_env("TONE_COACH_WATCH_CHANNELS")
    )
    workers: int = Field(128, ge=1, le=1024, **_env("TONE_COACH_WORKERS"))
    drain_seconds: float = Field(25.0, ge=0, le=600, **_env("TONE_COACH_DRAIN_SECONDS"))
    #: Review workers inside ``serve``; None means as many as ``workers``. 0 when separate
    #: ``tone-coach worker`` processes run the reviews (PostgreSQL).
    serve_workers: int | None = Field(None, ge=0, le=1024, **_env("TONE_COACH_SERVE_WORKERS"))
    #: How much ``tone-coach worker`` lowers its own CPU priority (Unix ``nice``), so that on
    #: a machine it shares with ``serve``, Slack's acks get the CPU first; 0 keeps it as is.
    worker_nice: int = Field(10, ge=0, le=19, **_env("TONE_COACH_WORKER_NICE"))
    #: Reviews of one process that work at once (the others wait their turn, or wait on the
    #: model or Slack, which needs no slot): see bot/jobs/slots.py.
    review_slots: int = Field(4, ge=1, le=1024, **_env("TONE_COACH_REVIEW_SLOTS"))
    #: Where the embedded (SQLite) set-up keeps its review jobs; None: beside the database.
    jobs_dir: str | None = Field(None, **_env("TONE_COACH_JOBS_DIR"))
    shared_channels: SharedChannels = Field("private", **_env("TONE_COACH_SHARED_CHANNELS"))
    admins_text: Annotated[str, NoDecode] = Field("", **_env("TONE_COACH_ADMINS"))

    # -- data files ---------------------------------------------------------------------
    guidelines_file: Path | None = Field(None, **_env("TONE_COACH_GUIDELINES"))
    tips_file: Path | None = Field(None, **_env("TONE_COACH_TIPS"))
    digest_texts_file: Path | None = Field(None, **_env("TONE_COACH_DIGEST_TEXTS"))

    # -- the model ----------------------------------------------------------------------
    openai_api_key: str | None = Field(None, **_env("OPENAI_API_KEY"))
    openai_base_url: str | None = Field(None, **_env("OPENAI_BASE_URL"))
    openai_model: str = Field(DEFAULT_MODEL, **_env("OPENAI_MODEL"))
    response_format: Literal["json_schema", "json_object", "none"] = Field(
        "json_schema", **_env("TONE_COACH_RESPONSE_FORMAT")
    )
    model_timeout: float = Field(20.0, gt=0, le=600, **_env("TONE_COACH_MODEL_TIMEOUT"))
    model_deadline: float = Field(45.0, gt=0, le=3600, **_env("TONE_COACH_MODEL_DEADLINE"))
    reasoning_effort: ReasoningEffort = Field("auto", **_env("TONE_COACH_REASONING_EFFORT"))
    max_completion_tokens: int = Field(
        4096, ge=0, **_env("TONE_COACH_MAX_COMPLETION_TOKENS")
    )  # 0: send no limit
    price_input: float = Field(Prices.input, ge=0, **_env("TONE_COACH_PRICE_INPUT"))
    price_cached_input: float = Field(
        Prices.cached_input, ge=0, **_env("TONE_COACH_PRICE_CACHED_INPUT")
    )
    price_output: float = Field(Prices.output, ge=0, **_env("TONE_COACH_PRICE_OUTPUT"))

    # -- storage ------------------------------------------------------------------------
    database_url: str = Field("sqlite:///tone_coach.db", **_env("DATABASE_URL"))
    retention_days: int = Field(90, ge=1, **_env("RETENTION_DAYS"))

    # -- daily tips from the environment ------------------------------------------------
    tips_channel: str | None = Field(None, **_env("TIPS_CHANNEL"))
    tips_time: str = Field("09:30", **_env("TIPS_TIME"))
    tips_tz: str = Field("UTC", **_env("TIPS_TZ"))
    tips_language: str = Field("en", **_env("TIPS_LANGUAGE"))

    # -- the process --------------------------------------------------------------------
    port: int = Field(3000, ge=1, le=65535, **_env("PORT"))
    http_connections: int = Field(1000, ge=1, le=100_000, **_env("TONE_COACH_HTTP_CONNECTIONS"))
    http_idle_timeout: int = Field(10, ge=1, le=3600, **_env("TONE_COACH_HTTP_IDLE_TIMEOUT"))
    log_level: str = Field("INFO", **_env("LOG_LEVEL"))

    @classmethod
    def load(cls, env_file: str | Path | None = ".env") -> Settings:
        """Read the environment (and ``env_file`` in the working directory, if present).

        Raises :class:`ConfigError` with one line naming the first bad variable.
        """
        try:
            return cls(_env_file=env_file)  # type: ignore[call-arg]
        except ValidationError as exc:
            raise ConfigError(describe_error(exc)) from None

    # -- validation ---------------------------------------------------------------------
    @field_validator("api_url")
    @classmethod
    def _trailing_slash(cls, value: str | None) -> str | None:
        # slack_sdk joins method names onto the base URL.
        return value if not value or value.endswith("/") else value + "/"

    @field_validator("reaction")
    @classmethod
    def _bare_emoji_name(cls, value: str) -> str:
        name = value.strip().strip(":")
        if not re.fullmatch(r"[a-z0-9_+'-]+", name):
            raise ValueError("must be an emoji name such as mag or :mag:")
        return name

    @field_validator("watch_channels_text")
    @classmethod
    def _watch_list(cls, value: str) -> str:
        parse_watch_channels(value)
        return value

    @field_validator("shared_channels", mode="before")
    @classmethod
    def _shared_any_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("admins_text")
    @classmethod
    def _admin_list(cls, value: str) -> str:
        parse_admins(value)
        return value

    @field_validator("database_url")
    @classmethod
    def _database_scheme(cls, value: str) -> str:
        # Heroku-like hosts set postgres:// (or postgresql://); SQLAlchemy wants a driver.
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value.removeprefix(prefix)
        return value

    @field_validator("reasoning_effort", mode="before")
    @classmethod
    def _effort_any_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return level

    # -- derived values -----------------------------------------------------------------
    @property
    def watch_channels(self) -> dict[str, WatchMode]:
        """Channels watched from the start, with their mode (``top`` or ``replies``)."""
        return parse_watch_channels(self.watch_channels_text)

    @property
    def admins(self) -> tuple[str, ...]:
        """Who may change channel settings: user ids, user-group ids, ``workspace-admins``."""
        return parse_admins(self.admins_text)

    @property
    def uses_oauth(self) -> bool:
        return bool(self.client_id or self.client_secret)

    @property
    def uses_model(self) -> bool:
        return bool(self.openai_api_key or self.openai_base_url)

    @property
    def log_level_number(self) -> int:
        return logging.getLevelName(self.log_level)

    def model_settings(self) -> ModelSettings:
        """The coaching core's own view of the model settings."""
        return ModelSettings(
            model=self.openai_model,
            base_url=self.openai_base_url,
            api_key=self.openai_api_key,
            request_timeout=self.model_timeout,
            deadline=self.model_deadline,
            response_format=self.response_format,
            reasoning_effort=self.reasoning_effort,
            max_completion_tokens=self.max_completion_tokens or None,
        )

    def prices(self) -> Prices:
        """Token prices, US dollars per million, for cost figures."""
        return Prices(self.price_input, self.price_cached_input, self.price_output)

    def check_slack(self, *, socket_mode: bool) -> None:
        """Raise :class:`ConfigError` for missing or contradictory Slack settings."""
        if self.uses_oauth and not (self.client_id and self.client_secret):
            raise ConfigError(
                "set both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for OAuth, or neither"
            )
        if self.uses_oauth and self.bot_token:
            raise ConfigError(
                "SLACK_BOT_TOKEN and SLACK_CLIENT_ID are both set: use the bot token for one "
                "workspace, or OAuth (client id and secret) to install into many, not both"
            )
        if socket_mode:
            if not self.app_token:
                raise ConfigError(
                    "Socket Mode needs SLACK_APP_TOKEN (xapp-...) from the app's settings"
                )
            if not self.app_token.startswith("xapp-"):
                raise ConfigError("SLACK_APP_TOKEN must be an app-level token starting with xapp-")
            if self.uses_oauth:
                raise ConfigError(
                    "Socket Mode runs in one workspace: use SLACK_BOT_TOKEN, not OAuth"
                )
        elif not self.signing_secret:
            raise ConfigError(
                "HTTP mode needs SLACK_SIGNING_SECRET (Basic Information in the app's settings)"
            )
        if not self.uses_oauth and not self.bot_token:
            raise ConfigError(
                "set SLACK_BOT_TOKEN (xoxb-...), or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET"
            )
        if self.bot_token and not self.bot_token.startswith("xoxb-"):
            raise ConfigError("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")


def parse_watch_channels(text: str) -> dict[str, WatchMode]:
    """``C0123,C0456:replies`` as ``{"C0123": "top", "C0456": "replies"}``."""
    channels: dict[str, WatchMode] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        channel, _, mode = item.partition(":")
        mode = mode.strip().lower() or "top"
        if not _CHANNEL_ID.fullmatch(channel.strip()):
            raise ValueError(f"{channel.strip()[:20]!r} is not a channel id such as C0123456789")
        if mode not in ("top", "replies"):
            raise ValueError(f"mode {mode[:20]!r} of {channel} must be top or replies")
        channels[channel.strip()] = mode  # type: ignore[assignment]
    return channels


def parse_admins(text: str) -> tuple[str, ...]:
    """``U0LEAD, S0LEADS,workspace-admins`` as ``("U0LEAD", "S0LEADS", "workspace-admins")``."""
    admins = tuple(part.strip() for part in text.split(",") if part.strip())
    for admin in admins:
        if admin != WORKSPACE_ADMINS and not _ADMIN_ID.fullmatch(admin):
            raise ValueError(
                f"{admin[:20]!r} is not a user id (U0123ABCD), a user-group id (S0123ABCD) "
                f"or {WORKSPACE_ADMINS}"
            )
    return admins


def describe_error(exc: ValidationError) -> str:
    """The first problem as ``VARIABLE: what is wrong (got 'value')`` on one line."""
    error = exc.errors()[0]
    name = str(error["loc"][0]) if error["loc"] else "settings"
    problem = error["msg"].removeprefix("Value error, ")
    problem = {
        "int_parsing": "must be a whole number",
        "float_parsing": "must be a number",
        "literal_error": problem.replace("Input should be", "must be"),
    }.get(error["type"], problem.replace("Input should be", "must be"))
    value = error.get("input")
    shown = f" (got {str(value)[:40]!r})" if isinstance(value, str | int | float) else ""
    if any(word in name for word in ("TOKEN", "SECRET", "KEY", "DATABASE_URL")):
        shown = ""  # never echo a credential
    return " ".join(f"{name}: {problem}{shown}".split())
