"""The ``HERALD_*`` settings, read when used (so tests may override them)."""

from django.conf import settings
from django.utils.module_loading import import_string

from herald_client.client import Client


def herald_url():
    """Where Django reaches herald: ``HERALD_URL``, else as
    :class:`~herald_client.Client` finds it (the environment, the default)."""
    return Client(url=getattr(settings, "HERALD_URL", None)).url


def public_url():
    """Where browsers reach herald: ``HERALD_PUBLIC_URL``, or ``HERALD_URL``."""
    return (getattr(settings, "HERALD_PUBLIC_URL", None) or herald_url()).rstrip("/")


def publish_token():
    """``HERALD_PUBLISH_TOKEN``, or ``None``."""
    return getattr(settings, "HERALD_PUBLISH_TOKEN", None)


def client():
    """A :class:`~herald_client.Client` for the settings as they are now."""
    return Client(
        url=herald_url(),
        token=publish_token(),
        timeout=getattr(settings, "HERALD_TIMEOUT", 2.0),
    )


def permissions():
    """The function ``HERALD_PERMISSIONS`` names, or the default one."""
    path = getattr(settings, "HERALD_PERMISSIONS", None)
    if path:
        return import_string(path)
    from herald_client.django.permissions import default_permissions

    return default_permissions
