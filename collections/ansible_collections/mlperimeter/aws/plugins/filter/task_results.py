"""Judging registered task results (pure functions, no AWS calls)."""


def _ran_unchanged(result):
    return isinstance(result, dict) and bool(result) and not (
        result.get("skipped") or result.get("failed") or result.get("changed")
    )


def settled(results):
    """Whether every task result given ran, succeeded and changed nothing (each item of a loop, too).

    An ensure task that settled read the live state and found it as the role wants it, so the gate
    that follows can judge from that read instead of reading it all again. A result that is
    missing, failed or changed, or skipped wholly or for one item, is not settled: the gate reads
    for itself.
    """
    return bool(results) and all(
        _ran_unchanged(result)
        and ("results" not in result or (result["results"] and all(map(_ran_unchanged, result["results"]))))
        for result in results
    )


class FilterModule:
    def filters(self):
        return {"settled": settled}
