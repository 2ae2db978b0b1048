"""How a deploy looks from Slack's side: ``python -m bench.drain``.

Starts ``tone-coach serve`` with a fake model of fixed latency, sends a burst of
``/tone-check`` drafts, sends SIGTERM as soon as all of them are acknowledged, and prints how
long the process took to exit, how many reviews were posted, and the exit code. The idle row
is SIGTERM with nothing in flight.
"""

from __future__ import annotations

import signal
import tempfile
import time
from pathlib import Path

from bench.fake_model import start_fake_model
from bench.run import QUICK, Bench, ServedApp
from tests.fakes.slack_api import FakeSlack

MODEL_SECONDS = 3.0
BURSTS = (0, 20, 100)


def main() -> int:
    print(f"model latency {MODEL_SECONDS:.0f} s")
    print("| drafts in flight at SIGTERM | exit after SIGTERM | reviews posted | exit code |")
    print("|---|---|---|---|")
    for count in BURSTS:
        slack = FakeSlack().start()
        model, _ = start_fake_model(MODEL_SECONDS)
        with tempfile.TemporaryDirectory() as workdir:
            app = ServedApp(slack, model.base_url, Path(workdir))
            try:
                bench = Bench(QUICK, MODEL_SECONDS)
                app.send([app.command(bench.draft(), slack.response_url(f"d{i}"))
                          for i in range(count)])
                sent = time.monotonic()
                app.process.send_signal(signal.SIGTERM)
                code = app.process.wait(timeout=60)
                took = time.monotonic() - sent
                posted = len(slack.calls_to("response_url"))
                print(f"| {count} | {took:.2f} s | {posted} of {count} | {code} |", flush=True)
            finally:
                app.stop()
                slack.stop()
                model.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
