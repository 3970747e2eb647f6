"""The demo's views: a page with a live feed, and a form that announces."""

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from herald_client.django import publish_on_commit


@login_required
def feed(request):
    """The person's own topic, live."""
    return render(request, "feed.html", {"topic": "user-%s" % request.user.pk})


@require_POST
@login_required
def announce(request):
    """Saves (nothing, here) and announces to the person's topic once the
    transaction commits."""
    with transaction.atomic():
        publish_on_commit(request.POST["text"], topic="user-%s" % request.user.pk)
    return HttpResponse("announced\n")
