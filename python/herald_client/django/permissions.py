"""Who may listen and publish, when ``HERALD_PERMISSIONS`` is not set.

A permissions function gets the Django request (``request.user`` comes from
the session cookie herald forwards; herald's question is in
``request.herald_question``) and returns the auth hook's answer::

    {"listen": ["user-42", "team-ops"], "publish": ["team-ops"], "ttl": 300,
     "user": "anna"}

``user`` is the name herald's access log and presence lists show
(``{% herald_presence %}``); ``"presence": False`` keeps the person out of
every list (a service account, a monitor).

``"*"`` means every topic. Returning ``None`` refuses with ``401`` (not
logged in); raising ``django.core.exceptions.PermissionDenied``, with
``403``. Events published without a topic are public: everyone the function
lets in gets them.
"""

# How long herald keeps an answer before asking again, in seconds.
DEFAULT_TTL_SECONDS = 300


def default_permissions(request):
    """A logged-in user listens to the public events and to ``user-<pk>``,
    and publishes nowhere; anyone else is refused."""
    user = request.user
    if not user.is_authenticated:
        return None
    return {
        "listen": ["user-%s" % user.pk],
        "publish": [],
        "ttl": DEFAULT_TTL_SECONDS,
        # The name people know each other by, in presence lists.
        "user": user.get_username(),
    }
