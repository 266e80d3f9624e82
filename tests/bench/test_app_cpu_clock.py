"""The bench's app CPU clock counts the CPU spent inside the app's request handler and nothing the client does."""

import time

from bench.harness import AppCPUClock, interleaved


def _burn(seconds: float) -> None:
    until = time.process_time() + seconds
    while time.process_time() < until:
        pass


class _Client:
    def __init__(self):
        self.handler = lambda environ: _burn(0.02) or environ

    def get(self):
        _burn(0.03)  # the client's own work: building the request, parsing the answer
        return self.handler({"PATH_INFO": "/"})


def test_only_the_time_inside_the_handler_is_counted_and_the_handler_still_answers():
    client = _Client()
    clock = AppCPUClock(client)
    assert client.get() == {"PATH_INFO": "/"}
    timings = interleaved({"app": client.get}, rounds=3, warmup=0, clock=clock)
    for sample_ns in timings["app"].samples_ns:
        assert 0.02e9 <= sample_ns < 0.03e9
