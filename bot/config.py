"""Settings of the Slack app, read from the environment (and ``.env``) and checked at start."""

from __future__ import annotations

import os
from dataclasses import dataclass


class ConfigError(ValueError):
    """Settings that cannot work; the message is one line saying which and why."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or default


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def _positive(name: str, default: int) -> int:
    value = _env(name, str(default)) or str(default)
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(f"{name} must be a positive number, not {value!r}")
    return int(value)


@dataclass(frozen=True)
class SlackSettings:
    """Everything the Slack app needs to start; see the README's configuration table."""

    bot_token: str | None = None
    signing_secret: str | None = None
    app_token: str | None = None
    api_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    reaction: str = "mag"
    watch_channels: tuple[str, ...] = ()
    workers: int = 128
    tips_channel: str | None = None
    tips_time: str = "09:30"
    tips_tz: str = "UTC"
    tips_language: str = "en"
    http_connections: int = 1000
    http_idle_timeout: int = 10

    @classmethod
    def from_env(cls) -> SlackSettings:
        workers = _positive("TONE_COACH_WORKERS", 128)
        api_url = _env("SLACK_API_URL")
        if api_url and not api_url.endswith("/"):
            api_url += "/"  # slack_sdk joins method names onto it
        return cls(
            bot_token=_env("SLACK_BOT_TOKEN"),
            signing_secret=_env("SLACK_SIGNING_SECRET"),
            app_token=_env("SLACK_APP_TOKEN"),
            api_url=api_url,
            client_id=_env("SLACK_CLIENT_ID"),
            client_secret=_env("SLACK_CLIENT_SECRET"),
            reaction=(_env("TONE_COACH_REACTION", "mag") or "mag").strip(":"),
            watch_channels=_split(_env("TONE_COACH_WATCH_CHANNELS")),
            workers=workers,
            tips_channel=_env("TIPS_CHANNEL"),
            tips_time=_env("TIPS_TIME", "09:30") or "09:30",
            tips_tz=_env("TIPS_TZ", "UTC") or "UTC",
            tips_language=_env("TIPS_LANGUAGE", "en") or "en",
            http_connections=_positive("TONE_COACH_HTTP_CONNECTIONS", 1000),
            http_idle_timeout=_positive("TONE_COACH_HTTP_IDLE_TIMEOUT", 10),
        )

    @property
    def uses_oauth(self) -> bool:
        return bool(self.client_id or self.client_secret)

    def check(self, *, socket_mode: bool) -> None:
        """Raise :class:`ConfigError` for missing or contradictory settings."""
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
