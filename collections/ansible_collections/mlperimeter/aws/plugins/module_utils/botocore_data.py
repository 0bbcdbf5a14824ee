"""botocore's service models, parsed once per interpreter instead of once per task.

Every module builds a new boto3 session, and each session's loader parses the JSON it needs again: the
endpoints and partitions files, and the service's model (EC2's is megabytes). In a fresh Python process
per task that is unavoidable; in the warm interpreter of the collection's ``mitogen_linear`` strategy,
where a rollout runs hundreds of modules, it was most of a module's time. botocore already shares what
one loader parsed among all the clients of its session; here every loader with the same search paths
and extras shares that cache with the others for the life of the interpreter, so a model is parsed
once per run. What is shared is what botocore shares within a session (parsed files, not clients,
credentials or configuration), and files in ``~/.aws/models`` or ``AWS_DATA_PATH`` still decide the
search paths, hence the cache. An interpreter that runs one task (Ansible's own strategies) is unchanged.
"""

import functools

import botocore.loaders

_CACHES = {}


def share_parsed_models():
    """Make every botocore loader created from now on share its cache with loaders of the same paths."""
    loader_init = botocore.loaders.Loader.__init__
    if getattr(loader_init, "shares_parsed_models", False):
        return

    @functools.wraps(loader_init)
    def __init__(self, *args, **kwargs):
        loader_init(self, *args, **kwargs)
        key = (tuple(self.search_paths), tuple(self._extras_types))
        self._cache = _CACHES.setdefault(key, {})

    __init__.shares_parsed_models = True
    botocore.loaders.Loader.__init__ = __init__
