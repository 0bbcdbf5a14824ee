"""Calls to one AWS service for the per-service module_utils (Route 53 Resolver, SageMaker): every call
retried with the collection's ``retries.jittered_backoff()``, and a failure raised as the service's own
error saying what failed."""

from ansible_collections.mlperimeter.aws.plugins.module_utils.retries import jittered_backoff


def _invoke(client, operation, kwargs):
    return getattr(client, operation)(**kwargs)


_call = jittered_backoff()(_invoke)


@jittered_backoff()
def _all_pages(client, operation, result_key, kwargs):
    return client.get_paginator(operation).paginate(**kwargs).build_full_result().get(result_key, [])


class ServiceCalls:
    """``call``, ``get_or_none`` and ``paginate`` through ``error_handler`` (an amazon.aws ``AWSErrorHandler``
    whose ``_is_missing`` names the service's not-found code). ``conflict_codes`` are the errors a call made
    with ``retry_conflict=True`` also retries: the resource is busy with an earlier change."""

    def __init__(self, error_handler, conflict_codes=()):
        self._handler = error_handler
        self._call_retrying_conflict = jittered_backoff(conflict_codes)(_invoke)

    def call(self, client, operation, what, *, retry_conflict=False, **kwargs):
        """Call ``operation`` with retries; raise the service's error saying what failed."""

        @self._handler.common_error_handler(what)
        def run():
            return (self._call_retrying_conflict if retry_conflict else _call)(client, operation, kwargs)

        return run()

    def get_or_none(self, client, operation, what, **kwargs):
        """A Get or Describe answer, or None when the resource does not exist."""

        @self._handler.list_error_handler(what)
        def run():
            return _call(client, operation, kwargs)

        return run()

    def paginate(self, client, operation, result_key, what, **kwargs):
        """Every item of a List operation, through boto3's paginator."""

        @self._handler.common_error_handler(what)
        def run():
            return _all_pages(client, operation, result_key, kwargs)

        return run()
