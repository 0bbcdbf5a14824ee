"""How the collection retries AWS calls that fail for a moment.

botocore retries throttling and 5xx answers itself a few times (3 attempts in its standard mode);
what still fails is retried here with jittered backoff. amazon.aws ``AWSRetry`` knows EC2's and
IAM's throttling codes (``RequestLimitExceeded``, ``Throttling``) and the generic 5xx codes, but
not ``ThrottlingException``, which most services the perimeter drives answer (SSM, Identity
Center, Route 53 Resolver, SageMaker, CloudWatch Logs, WorkSpaces Secure Browser), nor the 5xx
codes of the JSON services.
"""

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

TRANSIENT_CODES = ["ThrottlingException", "InternalServerException", "ServiceUnavailableException",
                   "InternalServiceErrorException"]


def jittered_backoff(extra_codes=(), *, retries=8, delay=1, max_delay=15):
    """AWSRetry's jittered backoff over the transient codes and ``extra_codes``.

    By default up to 8 tries, waits drawn from [0, 1), [0, 2), [0, 4), [0, 8) s, then [0, 15) s: a
    call throttled again and again gives up after about half a minute on average.
    """
    return AWSRetry.jittered_backoff(retries=retries, delay=delay, max_delay=max_delay,
                                     catch_extra_error_codes=[*TRANSIENT_CODES, *extra_codes])
