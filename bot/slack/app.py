"""Building the Bolt app: client, executor, OAuth and listeners."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.oauth.oauth_settings import OAuthSettings

from bot.slack.listeners import register_all
from bot.slack.services import Services

log = logging.getLogger(__name__)

# Keep in step with manifest.json (a test checks they agree). users:read tells workspace
# admins (App Home's model note) from everyone else. No im:write: private notes go
# through chat.postEphemeral, or chat.postMessage to a user id (the app's own DM), and
# neither needs it; conversations.open, which does, is never called.
BOT_SCOPES = [
    "commands", "chat:write", "reactions:read", "reactions:write", "channels:history",
    "groups:history", "users:read",
    # conversations.info, to tell channels shared with another organisation
    "channels:read", "groups:read",
    # usergroups.users.list, for a user group in TONE_COACH_ADMINS
    "usergroups:read",
    "files:write",  # the weekly digest's chart
]


class _NotOurToken(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns that our client's token wins; it does
    (Settings gave the client that very token), so the warning is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


logging.getLogger("slack_bolt.App").addFilter(_NotOurToken())


def build_app(services: Services) -> App:
    """The Bolt app with every listener registered; settings must already be checked."""
    settings = services.settings
    oauth = None
    if settings.uses_oauth:
        stores = services.storage.slack_oauth
        oauth = OAuthSettings(
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            scopes=BOT_SCOPES,
            installation_store=stores.installation_store(settings.client_id or ""),
            state_store=stores.state_store(),
        )
    app = App(
        client=services.clients.default,
        signing_secret=settings.signing_secret,
        oauth_settings=oauth,
        # Listeners only acknowledge and hand their work over (a review job, or the services'
        # own pool), so they run in the request's thread: Bolt's other way hands each one to
        # a thread pool and polls every 10 ms for its ack, which held every request of a
        # burst of 50 for 10 ms or more.
        process_before_response=True,
        # The Runtime checks the token with auth.test itself (with retries) before serving.
        token_verification_enabled=False,
    )
    register_all(app, services)
    return app
