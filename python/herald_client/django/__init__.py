"""herald for Django: ``INSTALLED_APPS = [..., "herald_client.django"]``.

- :func:`publish_on_commit` announces a change once the database has it,
  and never one that was rolled back; :func:`set_state_on_commit` and
  :func:`delete_state_on_commit` do the same for a key's current value
  (herald's live state);
- ``path("herald/", include("herald_client.django.urls"))`` serves herald's
  ``--auth-hook`` at ``herald/auth``, so the app's own login decides who
  listens to which topic (``HERALD_PERMISSIONS``; see ``permissions``);
- ``{% load herald %}{% herald_feed "user-42" %}`` renders a live list of a
  topic's events, and ``{% herald_state "builds" %}`` the current value of
  each of its keys, rendered in the page and kept live (see
  ``templatetags/herald.py``).

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


def set_state_on_commit(key, message, *, topic, event=None, ttl=None, using=None):
    """Makes ``message`` the current value of ``key`` in ``topic`` (for
    ``ttl`` seconds, if given) once the current transaction commits, and
    never if it rolls back; as :func:`publish_on_commit`, a failure is
    logged, not raised.
    """
    key_once = uuid.uuid4().hex

    def send():
        try:
            client().set_state(key, message, topic=topic, event=event, ttl=ttl, idempotency_key=key_once)
        except HeraldError as error:
            logger.warning("herald: %s not set in %s: %s", key, topic or "the public topic", error)

    transaction.on_commit(send, using=using)


def delete_state_on_commit(key, *, topic, using=None):
    """Removes ``key``'s value in ``topic`` once the current transaction
    commits, and never if it rolls back; a failure is logged, not raised.
    """
    key_once = uuid.uuid4().hex

    def send():
        try:
            client().delete_state(key, topic=topic, idempotency_key=key_once)
        except HeraldError as error:
            logger.warning("herald: %s not deleted in %s: %s", key, topic or "the public topic", error)

    transaction.on_commit(send, using=using)
