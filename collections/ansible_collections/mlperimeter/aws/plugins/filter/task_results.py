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
    if not results:
        return False
    for result in results:
        if not _ran_unchanged(result):
            return False
        items = result.get("results")
        if items is not None and not (items and all(map(_ran_unchanged, items))):
            return False
    return True


class FilterModule:
    def filters(self):
        return {"settled": settled}
