"""What the tests against the real herald share: the binary in a child
process on 127.0.0.1:0, and an event-stream reader with a bound on every
read. ``tests/python.rs`` sets ``HERALD_BIN`` to the binary cargo built."""

import os
import re
import socket
import subprocess
import threading
import unittest

READ_TIMEOUT_SECONDS = 5


def herald_binary():
    """The herald binary to test, or a skip (a failure in CI) without one."""
    binary = os.environ.get("HERALD_BIN")
    if binary and os.access(binary, os.X_OK):
        return binary
    if os.environ.get("CI"):
        raise AssertionError("HERALD_BIN is not set: run these tests through cargo test")
    raise unittest.SkipTest("HERALD_BIN is not set (cargo test --test python sets it)")


class Herald:
    """``herald --addr 127.0.0.1:0 ARGS``, stopped by :meth:`stop`."""

    def __init__(self, *args):
        self.process = subprocess.Popen(
            [herald_binary(), "--addr", "127.0.0.1:0", "--quiet", *args],
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines = []
        listening = threading.Event()
        self.url = None

        def read_stderr():
            for line in self.process.stderr:
                self.lines.append(line)
                found = re.search(r"herald listening on (http://[^/\s]+)/", line)
                if found:
                    self.url = found.group(1)
                    listening.set()

        threading.Thread(target=read_stderr, daemon=True).start()
        if not listening.wait(20):
            self.stop()
            raise AssertionError("herald did not start: %s" % "".join(self.lines))
        self.port = int(self.url.rsplit(":", 1)[1])

    def stop(self):
        self.process.kill()
        self.process.wait(10)


class Stream:
    """``GET /events?QUERY`` with ``headers``, read event by event."""

    def __init__(self, herald, query="", headers=None):
        self.socket = socket.create_connection(("127.0.0.1", herald.port), READ_TIMEOUT_SECONDS)
        self.socket.settimeout(READ_TIMEOUT_SECONDS)
        extra = "".join("%s: %s\r\n" % pair for pair in (headers or {}).items())
        self.socket.sendall(
            ("GET /events?%s HTTP/1.1\r\nHost: t\r\n%s\r\n" % (query, extra)).encode()
        )
        self.buffer = b""
        head = self._until(b"\r\n\r\n")
        self.status = int(head.split(b" ", 2)[1])

    def _until(self, end):
        while end not in self.buffer:
            chunk = self.socket.recv(65536)
            if not chunk:
                raise EOFError("the stream ended")
            self.buffer += chunk
        taken, _, self.buffer = self.buffer.partition(end)
        return taken

    def next_event(self):
        """The next event, as a dict of its fields (comments and a block
        with no data, such as the opening ``retry:``, skipped)."""
        while True:
            block = self._until(b"\n\n").decode()
            fields = {}
            for line in block.split("\n"):
                if line.startswith(":") or not line:
                    continue
                name, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                fields[name] = fields[name] + "\n" + value if name in fields else value
            if "data" in fields:  # not a comment, nor the stream's opening retry:
                return fields

    def events_until(self, data):
        """The events up to and including the first whose data is ``data``."""
        seen = []
        while not seen or seen[-1].get("data") != data:
            seen.append(self.next_event())
        return seen

    def close(self):
        self.socket.close()
