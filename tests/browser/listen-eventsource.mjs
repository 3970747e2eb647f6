// npm's eventsource (v4, WHATWG-compatible): reconnects by itself, honours
// retry: and sends Last-Event-ID. As in a browser, a named event reaches
// only a listener for its name, so the types the test sends are listed.
// Prints one JSON line per event: {"event", "id", "data"}.
import { EventSource } from "eventsource";

const source = new EventSource(process.argv[2]);
for (const type of ["message", "alert", "herald-unavailable", "herald-missed"]) {
  source.addEventListener(type, (event) => {
    console.log(JSON.stringify({ event: event.type, id: event.lastEventId, data: event.data }));
  });
}
