"""The Django app: ``INSTALLED_APPS = [..., "herald_client.django"]``."""

from django.apps import AppConfig


class HeraldConfig(AppConfig):
    """herald's app: its auth-hook view, its template tag, no models."""

    name = "herald_client.django"
    label = "herald_client"
    verbose_name = "herald"
