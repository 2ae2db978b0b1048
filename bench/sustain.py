"""How many drafts one process takes at once: ``python -m bench.sustain``.

Sends bursts of ``/tone-check`` drafts to ``tone-coach serve`` with a 2 s fake model, for a
few sizes of the review pool, and prints when the last review was posted.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.fake_model import start_fake_model
from bench.run import QUICK, Bench, ServedApp
from tests.fakes.slack_api import FakeSlack

SETUPS = ((64, 128), (128, 128), (256, 256))  # (review threads, drafts sent at once)


def main() -> int:
    print("| review threads | drafts at once | last review posted | slowest ack | peak memory |")
    print("|---|---|---|---|---|")
    for workers, burst in SETUPS:
        slack = FakeSlack().start()
        model, _ = start_fake_model(2.0)
        with tempfile.TemporaryDirectory() as workdir:
            app = ServedApp(slack, model.base_url, Path(workdir),
                            {"TONE_COACH_WORKERS": str(workers)})
            try:
                bench = Bench(QUICK, 2.0)
                bench.warm_up(app, slack)
                before = len(slack.calls_to("response_url"))
                starts, acks = app.send([
                    app.command(bench.draft(), slack.response_url(f"s{i}")) for i in range(burst)
                ])
                posts = slack.wait_for("response_url", before + burst, timeout=120)[before:]
                last = max(post.at for post in posts) - min(starts)
                peak = app.memory_mb()[1]
                print(f"| {workers} | {burst} | {last:.2f} s | {max(acks) * 1000:.0f} ms "
                      f"| {peak} MB |", flush=True)
            finally:
                app.stop()
                slack.stop()
                model.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
