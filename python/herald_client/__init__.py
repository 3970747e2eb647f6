"""herald_client: publish to a herald server from any Python program.

>>> import herald_client
>>> event_id = herald_client.publish("backup finished", topic="ops")  # doctest: +SKIP
>>> herald_client.set_state("backup", "finished at 02:10", topic="ops")  # doctest: +SKIP

Every publish carries an ``Idempotency-Key``, so it is retried safely after a
timeout, a dropped connection or a ``503``: herald publishes it once. The
Django app is ``herald_client.django``; a WSGI auth hook for other frameworks
is ``herald_client.wsgi.auth_hook``. Standard library only.
"""

from herald_client.client import (
    DEFAULT_URL,
    Client,
    HeraldError,
    delete_state,
    get_state,
    presence,
    publish,
    set_state,
)

#: The package's version, always equal to the herald server's it ships with.
__version__ = "0.1.0"

__all__ = [
    "Client",
    "DEFAULT_URL",
    "HeraldError",
    "delete_state",
    "get_state",
    "presence",
    "publish",
    "set_state",
    "__version__",
]
