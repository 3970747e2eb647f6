"""``path("herald/", include("herald_client.django.urls"))`` serves herald's
``--auth-hook`` at ``herald/auth``."""

from django.urls import path

from herald_client.django import views

app_name = "herald"
urlpatterns = [path("auth", views.auth, name="auth")]
