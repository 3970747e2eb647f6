"""herald's auth hook as a WSGI app, for Flask, Bottle or plain WSGI.

Started with ``--auth-hook URL``, herald asks the app before every stream
(and before a publish without a token): ``POST URL`` with the JSON
``{"action": "listen" or "publish", "topics": [...]}`` and the subscriber's
``Cookie``, ``Authorization`` and ``X-Forwarded-For``. The app answers who
this is allowed to be (see the README's "Private topics").

``auth_hook(permissions)`` turns a function of the WSGI environ into that
answer: it returns ``{"listen": [...], "publish": [...], "ttl": 300}`` to
allow, ``None`` to refuse with ``401`` (not logged in), or raises
``PermissionError`` to refuse with ``403``. herald's question is in
``environ["herald.question"]``.
"""

import json

# herald's question is a few hundred bytes; anything much larger is not it.
_MAX_QUESTION_BYTES = 64 * 1024


def auth_hook(permissions):
    """A WSGI app answering herald's ``--auth-hook`` with ``permissions``."""

    def application(environ, start_response):
        if environ.get("REQUEST_METHOD") != "POST":
            return _answer(start_response, "405 Method Not Allowed", {"error": "POST only"})
        question = _question(environ)
        if question is None:
            return _answer(start_response, "400 Bad Request", {"error": "not herald's question"})
        environ["herald.question"] = question
        try:
            answer = permissions(environ)
        except PermissionError:
            return _answer(start_response, "403 Forbidden", {})
        if answer is None:
            return _answer(start_response, "401 Unauthorized", {})
        return _answer(start_response, "200 OK", answer)

    return application


def _question(environ):
    """herald's JSON question, or ``None`` if the body is not one."""
    try:
        size = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if not 0 < size <= _MAX_QUESTION_BYTES:
        return None
    try:
        question = json.loads(environ["wsgi.input"].read(size))
    except ValueError:
        return None
    return question if isinstance(question, dict) else None


def _answer(start_response, status, body):
    data = json.dumps(body).encode()
    start_response(
        status,
        [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
    )
    return [data]
