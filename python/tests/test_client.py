"""The client alone, against a scripted stand-in for herald: the bytes it
sends, its retries (one idempotency key for all of them), its errors, and
the bound on its total time."""

import socket
import threading
import time
import unittest
import unittest.mock

import herald_client


class ScriptedServer:
    """Answers each connection with the next step of ``script``: ``"drop"``
    closes it unanswered, ``(status, body)`` answers. Keeps each request."""

    def __init__(self, script):
        self.script = list(script)
        self.requests = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = "http://127.0.0.1:%d" % self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.script:
            connection, _ = self.listener.accept()
            with connection:
                connection.settimeout(5)
                self.requests.append(self._read_request(connection))
                step = self.script.pop(0)
                if step == "drop":
                    continue
                status, body = step
                connection.sendall(
                    b"HTTP/1.1 %d X\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                    % (status, len(body), body)
                )

    @staticmethod
    def _read_request(connection):
        data = b""
        while b"\r\n\r\n" not in data:
            data += connection.recv(4096)
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(body) < length:
            body += connection.recv(4096)
        return head.decode(), body.decode()

    def close(self):
        self.listener.close()

    def header(self, index, name):
        head = self.requests[index][0]
        for line in head.split("\r\n")[1:]:
            key, _, value = line.partition(":")
            if key.strip().lower() == name.lower():
                return value.strip()
        return None


class ClientTest(unittest.TestCase):
    def serve(self, *script):
        server = ScriptedServer(script)
        self.addCleanup(server.close)
        return server

    def test_a_publish_is_one_form_post_with_a_key_and_the_token(self):
        server = self.serve((200, b"1795000000000001\n"))
        client = herald_client.Client(url=server.url + "/", token="s3cret")
        event_id = client.publish("disk 91% full", topic="ops", event="alert")
        self.assertEqual(event_id, 1795000000000001)
        head, body = server.requests[0]
        self.assertTrue(head.startswith("POST /publish HTTP/1.1\r\n"), head)
        self.assertEqual(body, "message=disk+91%25+full&topic=ops&event=alert")
        self.assertEqual(server.header(0, "Content-Type"), "application/x-www-form-urlencoded")
        self.assertEqual(server.header(0, "Authorization"), "Bearer s3cret")
        self.assertRegex(server.header(0, "Idempotency-Key"), r"^[0-9a-f]{32}$")

    def test_a_path_prefix_in_the_url_is_kept(self):
        server = self.serve((200, b"7\n"))
        herald_client.publish("hi", url=server.url + "/herald")
        self.assertTrue(server.requests[0][0].startswith("POST /herald/publish "))

    def test_a_dropped_connection_and_a_503_are_retried_with_the_same_key(self):
        server = self.serve("drop", (503, b"the server is busy"), (200, b"42\n"))
        self.assertEqual(herald_client.publish("once", url=server.url, retries=2), 42)
        keys = {server.header(n, "Idempotency-Key") for n in range(3)}
        self.assertEqual(len(server.requests), 3)
        self.assertEqual(len(keys), 1, "every try carries the same key")

    def test_a_given_key_is_sent_as_given(self):
        server = self.serve((200, b"5\n"))
        herald_client.publish("x", url=server.url, idempotency_key="order-77-shipped")
        self.assertEqual(server.header(0, "Idempotency-Key"), "order-77-shipped")

    def test_a_refusal_is_not_retried_and_says_why(self):
        server = self.serve((403, b"wrong token\n"), (200, b"1\n"))
        with self.assertRaises(herald_client.HeraldError) as caught:
            herald_client.publish("x", url=server.url, token="bad")
        self.assertEqual((caught.exception.status, caught.exception.reason), (403, "wrong token"))
        self.assertEqual(len(server.requests), 1)

    def test_when_every_try_fails_the_last_failure_is_raised(self):
        server = self.serve((503, b"busy"), (503, b"busy"), (503, b"still busy"))
        with self.assertRaises(herald_client.HeraldError) as caught:
            herald_client.publish("x", url=server.url, retries=2)
        self.assertEqual((caught.exception.status, caught.exception.reason), (503, "still busy"))

    def test_herald_unreachable_has_no_status_and_the_time_is_bounded(self):
        listener = socket.create_server(("127.0.0.1", 0))
        url = "http://127.0.0.1:%d" % listener.getsockname()[1]
        listener.close()  # nothing listens there now: connection refused
        started = time.monotonic()
        with self.assertRaises(herald_client.HeraldError) as caught:
            herald_client.publish("x", url=url, timeout=0.5, retries=2)
        self.assertIsNone(caught.exception.status)
        self.assertLess(time.monotonic() - started, 0.5 * 3 + 0.5)

    def test_a_silent_server_costs_about_timeout_times_tries(self):
        silent = socket.create_server(("127.0.0.1", 0))  # accepts, never answers
        self.addCleanup(silent.close)
        url = "http://127.0.0.1:%d" % silent.getsockname()[1]
        started = time.monotonic()
        with self.assertRaises(herald_client.HeraldError):
            herald_client.publish("x", url=url, timeout=0.3, retries=2)
        self.assertLess(time.monotonic() - started, 0.3 * 3 + 0.5)

    def test_the_url_and_token_come_from_the_environment(self):
        server = self.serve((200, b"9\n"))
        with unittest.mock.patch.dict(
            "os.environ", {"HERALD_URL": server.url, "HERALD_PUBLISH_TOKEN": "env-token"}
        ):
            self.assertEqual(herald_client.publish("x"), 9)
        self.assertEqual(server.header(0, "Authorization"), "Bearer env-token")

    def test_last_id_reads_stats(self):
        server = self.serve((200, b'{"listeners":0,"last_id":1234}'), (200, b'{"last_id":null}'))
        client = herald_client.Client(url=server.url)
        self.assertEqual(client.last_id(), 1234)
        self.assertIsNone(client.last_id())
        self.assertTrue(server.requests[0][0].startswith("GET /stats "))

    def test_a_url_that_is_not_http_is_refused_at_once(self):
        with self.assertRaises(ValueError):
            herald_client.Client(url="ftp://example")

if __name__ == "__main__":
    unittest.main()
