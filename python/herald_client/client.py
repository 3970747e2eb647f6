"""The client: one ``POST /publish`` per event, retried safely.

A publish that times out may still have reached herald. So each publish gets
an ``Idempotency-Key`` (a random one unless the caller gives one) and every
retry of it sends the same key: herald answers a key it has seen with the
first publish's id and publishes nothing. Retries happen on a connection
error, a timeout, a ``503`` (herald busy, or its store or Redis down) and a
``409`` (the first try is still being stored), after a short random pause,
and never past about ``timeout * (retries + 1)`` in all.
"""

import http.client
import json
import os
import random
import time
import urllib.parse
import uuid

#: Where herald is when neither the caller nor ``HERALD_URL`` says.
DEFAULT_URL = "http://127.0.0.1:8000"

# Statuses that mean "not now": the same publish may succeed on a retry.
_RETRY_STATUSES = (409, 503)
# The largest answer read from herald (an id, a reason, or /stats).
_MAX_ANSWER_BYTES = 64 * 1024
# The largest /state read: herald's --state-bytes counts both encodings of
# each value, and the JSON is one of them, so 16 MiB by default is plenty;
# four times that leaves room for a larger --state-bytes.
_MAX_STATE_BYTES = 64 * 1024 * 1024


class HeraldError(Exception):
    """herald refused a request, or could not be reached.

    ``status`` is the HTTP status herald answered with, or ``None`` when no
    answer came (connection refused, timeout); ``reason`` is herald's text,
    or what went wrong on the way.
    """

    def __init__(self, status, reason):
        self.status = status
        self.reason = reason
        if status is None:
            super().__init__("herald cannot be reached: %s" % reason)
        else:
            super().__init__("herald answered %d: %s" % (status, reason))


class Client:
    """A herald server, at ``url`` (default ``HERALD_URL``, else
    ``http://127.0.0.1:8000``), publishing with ``token`` (default
    ``HERALD_PUBLISH_TOKEN``), each try bounded by ``timeout`` seconds.
    """

    def __init__(self, url=None, token=None, timeout=2.0):
        self.url = (url or os.environ.get("HERALD_URL") or DEFAULT_URL).rstrip("/")
        self.token = token if token is not None else os.environ.get("HERALD_PUBLISH_TOKEN")
        self.timeout = timeout
        parts = urllib.parse.urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("herald's URL must be http:// or https://, not %r" % self.url)
        self._parts = parts

    def publish(self, message, *, topic=None, event=None, retries=2, idempotency_key=None):
        """Publishes ``message`` (to ``topic``, as event type ``event``) and
        returns its event id. Retries up to ``retries`` times when herald
        cannot take it now; raises :class:`HeraldError` when it refuses, or
        when the last try fails.
        """
        fields = {"message": message}
        if topic:
            fields["topic"] = topic
        if event:
            fields["event"] = event
        return self._publish(fields, retries, idempotency_key)

    def set_state(self, key, message, *, topic, event=None, ttl=None, retries=2, idempotency_key=None):
        """Makes ``message`` the current value of ``key`` in ``topic`` (for
        ``ttl`` seconds, if given) and returns its event id: every listener
        gets it, and a page that opens later starts from it (herald's live
        state). ``topic=None`` is the public events' topic.
        """
        fields = {"message": message, "key": key}
        if topic:
            fields["topic"] = topic
        if event:
            fields["event"] = event
        if ttl is not None:
            fields["ttl"] = str(int(ttl))
        return self._publish(fields, retries, idempotency_key)

    def delete_state(self, key, *, topic, retries=2, idempotency_key=None):
        """Removes ``key``'s value in ``topic``: listeners get a
        ``herald-delete`` event. Returns its event id.
        """
        fields = {"key": key, "delete": "1"}
        if topic:
            fields["topic"] = topic
        return self._publish(fields, retries, idempotency_key)

    def get_state(self, topic=None):
        """The current values of ``topic`` (a name, a list of names, or
        ``None`` for every topic), as herald's ``GET /state`` gives them:
        ``{"last_id": N, "values": [{"id", "event", "topic", "key", "time",
        "data"}, ...]}``, oldest id first. A page that renders them and then
        opens its stream after ``last_id`` misses and doubles nothing.
        """
        topics = [topic] if isinstance(topic, str) else list(topic or [])
        query = urllib.parse.urlencode([("topic", name) for name in topics])
        deadline = time.monotonic() + self.timeout
        path = "/state" + ("?" + query if query else "")
        # With the publish token herald answers as to the app's backend,
        # whatever its --auth-hook would say of a browser.
        headers = {"Authorization": "Bearer " + self.token} if self.token else {}
        status, text = self._request("GET", path, None, headers, deadline, _MAX_STATE_BYTES)
        if status != 200:
            raise HeraldError(status, text.strip())
        return json.loads(text)

    def presence(self, topic):
        """Who listens to ``topic`` now, as herald's ``GET /presence`` says:
        ``{"topic", "users": [{"user", "connections", "since"}], "more",
        "anonymous"}``, the earliest arrivals first. ``topic`` may also be a
        list of names, for a list of such answers. With the publish token
        herald answers as to the app's backend, for any topic; without
        ``--auth-hook`` nobody is named, and everyone is counted.
        """
        topics = [topic] if isinstance(topic, str) else list(topic)
        if not topics:
            raise ValueError("presence needs a topic")
        query = urllib.parse.urlencode([("topic", name) for name in topics])
        deadline = time.monotonic() + self.timeout
        headers = {"Authorization": "Bearer " + self.token} if self.token else {}
        status, text = self._request("GET", "/presence?" + query, None, headers, deadline)
        if status != 200:
            raise HeraldError(status, text.strip())
        lists = json.loads(text)["topics"]
        return lists[0] if isinstance(topic, str) else lists

    def _publish(self, fields, retries, idempotency_key):
        """Posts ``fields``, retrying as the module says; the event id."""
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Idempotency-Key": idempotency_key or uuid.uuid4().hex,
        }
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        body = urllib.parse.urlencode(fields).encode()
        deadline = time.monotonic() + self.timeout * (retries + 1)
        for attempt in range(retries + 1):
            try:
                status, text = self._request("POST", "/publish", body, headers, deadline)
            except HeraldError as unreachable:
                failure = unreachable
            else:
                if status == 200:
                    return int(text)
                failure = HeraldError(status, text.strip())
                if status not in _RETRY_STATUSES:
                    raise failure
            pause = random.uniform(0.05, 0.25) * (attempt + 1)
            if attempt == retries or time.monotonic() + pause >= deadline:
                raise failure
            time.sleep(pause)
        raise AssertionError("unreachable")

    def last_id(self):
        """The newest event id herald holds, or ``None`` if it holds none:
        a page that subscribes after it misses nothing published since.
        """
        deadline = time.monotonic() + self.timeout
        status, text = self._request("GET", "/stats", None, {}, deadline)
        if status != 200:
            raise HeraldError(status, text.strip())
        return json.loads(text).get("last_id")

    def _request(self, method, path, body, headers, deadline, limit=_MAX_ANSWER_BYTES):
        """One request on a fresh connection; ``(status, text)``, or
        :class:`HeraldError` with no status if no answer came in time. An
        answer longer than ``limit`` bytes is refused, not cut.
        """
        left = deadline - time.monotonic()
        if left <= 0:
            raise HeraldError(None, "no time left")
        connection_class = (
            http.client.HTTPSConnection if self._parts.scheme == "https" else http.client.HTTPConnection
        )
        connection = connection_class(
            self._parts.hostname, self._parts.port, timeout=min(self.timeout, left)
        )
        try:
            connection.request(method, self._parts.path + path, body=body, headers=headers)
            response = connection.getresponse()
            length = response.getheader("Content-Length")
            if length and length.isdigit() and int(length) > limit:
                raise HeraldError(response.status, "the answer is over %d bytes" % limit)
            text = response.read(limit).decode("utf-8", "replace")
            return response.status, text
        except (OSError, http.client.HTTPException) as error:
            raise HeraldError(None, str(error) or type(error).__name__) from error
        finally:
            connection.close()


def publish(
    message,
    *,
    topic=None,
    event=None,
    url=None,
    token=None,
    timeout=2.0,
    retries=2,
    idempotency_key=None,
):
    """Publishes ``message`` and returns its event id; see :class:`Client`."""
    client = Client(url=url, token=token, timeout=timeout)
    return client.publish(
        message, topic=topic, event=event, retries=retries, idempotency_key=idempotency_key
    )


def set_state(key, message, *, topic, event=None, ttl=None, url=None, token=None, timeout=2.0):
    """Makes ``message`` the current value of ``key``; see :meth:`Client.set_state`."""
    client = Client(url=url, token=token, timeout=timeout)
    return client.set_state(key, message, topic=topic, event=event, ttl=ttl)


def delete_state(key, *, topic, url=None, token=None, timeout=2.0):
    """Removes ``key``'s value; see :meth:`Client.delete_state`."""
    return Client(url=url, token=token, timeout=timeout).delete_state(key, topic=topic)


def get_state(topic=None, *, url=None, timeout=2.0):
    """The current values of ``topic``; see :meth:`Client.get_state`."""
    return Client(url=url, timeout=timeout).get_state(topic)


def presence(topic, *, url=None, token=None, timeout=2.0):
    """Who listens to ``topic`` now; see :meth:`Client.presence`."""
    return Client(url=url, token=token, timeout=timeout).presence(topic)
