"""httpx-sse, as its README shows it, with the reconnect loop it leaves to us.

Prints one JSON line per event: {"event", "id", "data"}. httpx-sse parses a
stream but does not reconnect, so this loop does: it resumes with the last
id as Last-Event-ID after the server's retry: (its ServerSentEvent.retry).
"""

import json
import sys
import time

import httpx
from httpx_sse import connect_sse

url, last_id, retry_ms = sys.argv[1], None, 3000
while True:
    headers = {"Last-Event-ID": last_id} if last_id else {}
    try:
        with httpx.Client(timeout=httpx.Timeout(5.0, read=None)) as client:
            with connect_sse(client, "GET", url, headers=headers) as source:
                for sse in source.iter_sse():
                    if sse.retry is not None:
                        retry_ms = sse.retry
                    if sse.id:
                        last_id = sse.id
                    if not sse.data and not sse.id and sse.event == "message":
                        # httpx-sse yields a block without data (herald's first,
                        # `retry:` and a comment) as an empty event; WHATWG drops it.
                        continue
                    print(json.dumps({"event": sse.event, "id": sse.id, "data": sse.data}), flush=True)
    except httpx.HTTPError:
        pass
    time.sleep(retry_ms / 1000)
