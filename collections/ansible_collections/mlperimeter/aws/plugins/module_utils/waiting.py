"""Waiting for an AWS resource to settle, shared by the per-service module_utils."""

import time


def poll(read, done, describe, timeout, sleep, error_class):
    """Call ``read`` until ``done(answer)``; the first read is immediate, then back off to ``sleep``.

    When ``timeout`` seconds pass first, raise ``error_class`` with ``describe(answer)``.
    """
    deadline = time.monotonic() + timeout
    pause = 0.1
    while True:
        answer = read()
        if done(answer):
            return answer
        if time.monotonic() >= deadline:
            raise error_class(message=f"{describe(answer)} after {timeout} seconds")
        time.sleep(pause)
        pause = min(pause * 2, sleep)
