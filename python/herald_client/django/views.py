"""The auth hook: herald asks, the app's permissions function answers.

herald (``--auth-hook http://APP/herald/auth``) posts its question with the
subscriber's cookies, so Django's session and authentication middleware
give ``request.user`` as for any page. The view only answers: it changes
nothing, and is exempt from CSRF because herald, not a browser, calls it.
"""

import json

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from herald_client.django.conf import permissions

# herald's question is a few hundred bytes; anything much larger is not it.
_MAX_QUESTION_BYTES = 64 * 1024


@csrf_exempt
def auth(request):
    """Answers herald's ``{"action": …, "topics": […]}`` for this request's
    user: ``200`` with the permissions, ``401`` or ``403``."""
    if request.method != "POST":
        return HttpResponse("herald's auth hook: POST only\n", status=405, headers={"Allow": "POST"})
    question = _question(request)
    if question is None:
        return HttpResponse("not herald's question\n", status=400)
    request.herald_question = question
    try:
        answer = permissions()(request)
    except PermissionDenied:
        return JsonResponse({}, status=403)
    if answer is None:
        return JsonResponse({}, status=401)
    return JsonResponse(answer)


def _question(request):
    """herald's JSON question, or ``None`` if the body is not one."""
    if len(request.body) > _MAX_QUESTION_BYTES:
        return None
    try:
        question = json.loads(request.body)
    except ValueError:
        return None
    return question if isinstance(question, dict) else None
