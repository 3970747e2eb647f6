// eventsource-parser (v3) over Node's fetch: it parses, and this loop does
// the rest that a parser leaves to its user: reconnecting after retry:,
// resuming with Last-Event-ID.
// Prints one JSON line per event: {"event", "id", "data"}.
import { createParser } from "eventsource-parser";

const url = process.argv[2];
let lastId = "";
let retryMs = 3000;
const parser = createParser({
  onEvent(event) {
    if (event.id) lastId = event.id;
    console.log(JSON.stringify({ event: event.event || "message", id: event.id || "", data: event.data }));
  },
  onRetry(ms) { retryMs = ms; },
});

for (;;) {
  try {
    const response = await fetch(url, { headers: lastId ? { "Last-Event-ID": lastId } : {} });
    const decoder = new TextDecoder();
    for await (const chunk of response.body) parser.feed(decoder.decode(chunk, { stream: true }));
  } catch {
    // the connection dropped or was refused: come back after retry:
  }
  parser.reset();
  await new Promise((resolve) => setTimeout(resolve, retryMs));
}
