"""Daily coaching tips: a short tip posted to subscribed channels at their local time.

``catalog`` loads the tips file, ``schedule`` parses schedules and knows when a tip is due,
``choose`` picks the day's tip, ``blocks`` renders it, ``deliver`` posts it once,
``scheduler`` runs delivery in the background, ``commands`` answers ``/tone-check tips``
and ``preview`` prints a tip in the terminal.
"""
