"""sseclient-py over a streaming urllib3 response, as its README shows it,
with the reconnect loop it leaves to us (resuming with Last-Event-ID after
the server's retry:, which its Event.retry carries as text). It drops a
block without data, and the retry: in it: herald's first block has none,
so until an event brings one, the loop waits its own default.

Prints one JSON line per event: {"event", "id", "data"}.
"""

import json
import sys
import time

import sseclient
import urllib3

url, last_id, retry_ms = sys.argv[1], None, 3000
http = urllib3.PoolManager()
while True:
    headers = {"Accept": "text/event-stream"}
    if last_id:
        headers["Last-Event-ID"] = last_id
    try:
        response = http.request("GET", url, preload_content=False, headers=headers, retries=False)
        # Iterating the response itself (the README's way) waits for 64 KiB
        # before handing anything over, so an event could wait minutes;
        # read1() hands over what has arrived.
        chunks = iter(lambda: response.read1(65536), b"")
        for event in sseclient.SSEClient(chunks).events():
            if event.retry:
                retry_ms = int(event.retry)  # sseclient-py gives it as text
            if event.id:
                last_id = event.id
            print(json.dumps({"event": event.event, "id": event.id, "data": event.data}), flush=True)
    except urllib3.exceptions.HTTPError:
        pass
    time.sleep(retry_ms / 1000)
