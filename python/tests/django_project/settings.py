"""A small Django project for herald's tests: Django's own login, the
herald app, and a few views. The database is a SQLite file named by
DEMO_DATABASE; herald's address is HERALD_URL, as in a real deployment."""

import os
import pathlib

HERE = pathlib.Path(__file__).resolve().parent

SECRET_KEY = "herald-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "herald_client.django",
    "demo",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "demo.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [HERE / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DEMO_DATABASE", str(HERE / "demo.sqlite3")),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
LOGIN_REDIRECT_URL = "/feed/"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, tests only

HERALD_URL = os.environ.get("HERALD_URL", "http://127.0.0.1:8000")
HERALD_PUBLIC_URL = os.environ.get("HERALD_PUBLIC_URL", "")
HERALD_PUBLISH_TOKEN = os.environ.get("HERALD_PUBLISH_TOKEN", "")
HERALD_PERMISSIONS = "demo.permissions.permissions"
