"""requests-sse's EventSource, which reconnects by itself with Last-Event-ID.

Prints one JSON line per event: {"event", "id", "data"}.
"""

import json
import sys

from requests_sse import EventSource

with EventSource(sys.argv[1], max_connect_retry=100) as source:
    for event in source:
        print(json.dumps({"event": event.type, "id": event.last_event_id, "data": event.data}), flush=True)
