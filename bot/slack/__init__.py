"""The Slack layer: turns Slack payloads into review requests and reviews into Block Kit.

It knows nothing about prompts or models; it calls :class:`bot.coaching.coach.Coach`.
"""
