"""The weekly team digest: figures with the privacy rule, their words, the trend chart.

Nothing here imports Slack: the Slack layer (``bot.slack.digest``) posts what this builds,
and ``tone-coach report`` prints it.
"""
