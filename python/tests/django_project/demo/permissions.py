"""Who may listen: each user to their own topic and the "lobby", staff to
"ops" as well."""

from herald_client.django.permissions import default_permissions


def permissions(request):
    answer = default_permissions(request)
    if answer is not None:
        answer["listen"].append("lobby")
    if answer is not None and request.user.is_staff:
        answer["listen"].append("ops")
    return answer
