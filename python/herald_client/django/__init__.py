"""herald for Django: ``INSTALLED_APPS = [..., "herald_client.django"]``.

- :func:`publish_on_commit` announces a change once the database has it,
  and never one that was rolled back;
- ``path("herald/", include("herald_client.django.urls"))`` serves herald's
  ``--auth-hook`` at ``herald/auth``, so the app's own login decides who
  listens to which topic (``HERALD_PERMISSIONS``; see ``permissions``);
- ``{% load herald %}{% herald_feed "user-42" %}`` renders a live list of a
  topic's events (see ``templatetags/herald.py``).

Settings: ``HERALD_URL`` (where Django reaches herald), ``HERALD_PUBLIC_URL``
(where browsers reach it; default ``HERALD_URL``), ``HERALD_PUBLISH_TOKEN``,
``HERALD_PERMISSIONS`` (a dotted path) and ``HERALD_TIMEOUT`` (seconds per
try, default 2).
"""

import logging
import uuid

from django.db import transaction

from herald_client.client import HeraldError
from herald_client.django.conf import client

logger = logging.getLogger("herald_client")


def publish_on_commit(message, *, topic=None, event=None, using=None):
    """Publishes ``message`` once the current transaction (on database
    ``using``) commits, and never if it rolls back; outside a transaction,
    at once.

    The request has committed by then, so a failure to publish (herald
    down, say) is logged on the ``herald_client`` logger, never raised.
    Retries carry one idempotency key, so the event is published once.
    """
    key = uuid.uuid4().hex

    def send():
        try:
            client().publish(message, topic=topic, event=event, idempotency_key=key)
        except HeraldError as error:
            logger.warning("herald: not published to %s: %s", topic or "everyone", error)

    transaction.on_commit(send, using=using)
