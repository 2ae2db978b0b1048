"""The load generator: sends signed requests from its own process.

Kept apart from the fake Slack and model servers so that their work (JSON, token counting)
never holds up the clock of a request being timed.
"""

from __future__ import annotations

import threading
import time
import urllib.request

SignedRequest = tuple[bytes, dict[str, str]]  # body, headers


def burst(url: str, requests: list[SignedRequest]) -> tuple[list[float], list[float]]:
    """Send every request at the same instant; return (start times, seconds to response).

    Start times are ``time.monotonic()``, which is one clock for every process on the
    machine, so they compare with the times the fake Slack records.
    """
    count = len(requests)
    barrier = threading.Barrier(count)
    starts, latencies = [0.0] * count, [0.0] * count

    def send(i: int) -> None:
        body, headers = requests[i]
        request = urllib.request.Request(url, data=body, headers=headers)
        barrier.wait()
        starts[i] = time.monotonic()
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            if response.status != 200:
                raise RuntimeError(f"status {response.status}")
        latencies[i] = time.monotonic() - starts[i]

    threads = [threading.Thread(target=send, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return starts, latencies
