from django.contrib.auth import views as auth_views
from django.urls import include, path

from demo import views

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("herald/", include("herald_client.django.urls")),
    path("feed/", views.feed, name="feed"),
    path("announce/", views.announce, name="announce"),
]
