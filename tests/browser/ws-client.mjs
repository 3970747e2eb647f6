// An independent WebSocket client (the `ws` package) against herald's /ws.
//
// Run by tests/websocket_clients.rs:
//   node tests/browser/ws-client.mjs --http http://127.0.0.1:PORT
// Subscribes, receives an event published over HTTP, publishes over the
// socket and gets its ack, filters by topic, and resumes after a reconnect
// with lastEventId without missing or repeating. Exits 0 when all hold.

import WebSocket from "ws";
import assert from "node:assert/strict";

const http = process.argv[process.argv.indexOf("--http") + 1];
const wsBase = http.replace(/^http:/, "ws:");
setTimeout(() => { console.error("ws client: timed out"); process.exit(1); }, 30_000).unref();

/** Opens /ws with a query; collects every message into a queue. */
function open(query = "") {
  const socket = new WebSocket(`${wsBase}/ws${query}`);
  const queue = [];
  const waiting = [];
  socket.on("message", (data) => {
    const message = JSON.parse(data.toString());
    const next = waiting.shift();
    if (next) next(message); else queue.push(message);
  });
  const next = () => queue.length ? Promise.resolve(queue.shift())
    : new Promise((resolve) => waiting.push(resolve));
  return new Promise((resolve, reject) => {
    socket.once("open", () => resolve({ socket, next }));
    socket.once("error", reject);
  });
}

async function publishHttp(message, topic) {
  const body = new URLSearchParams({ message, ...(topic ? { topic } : {}) });
  const response = await fetch(`${http}/publish`, { method: "POST", body });
  assert.equal(response.status, 200);
  return Number((await response.text()).trim());
}

const all = await open();
const ops = await open("?topic=ops");

const id = await publishHttp("hello from http", "ops");
const first = await all.next();
assert.match(first.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, "the time herald accepted it");
const expected = { id, event: null, topic: "ops", time: first.time, data: "hello from http" };
assert.deepEqual(first, expected);
assert.deepEqual(await ops.next(), expected, "the same event, with the same time");

await publishHttp("not for ops", "dev");
all.socket.send(JSON.stringify({ publish: "from the ws client", event: "note", topic: "ops" }));
const seen = [await all.next(), await all.next(), await all.next()];
const ack = seen.find((m) => "ack" in m);
assert.ok(ack, "an ack came");
const mine = seen.find((m) => m.data === "from the ws client");
assert.equal(mine.id, ack.ack);
assert.equal(mine.event, "note");
const forOps = await ops.next();
assert.equal(forOps.data, "from the ws client", "the topic filter skipped dev");

// Drop, miss two events, come back with the last id.
const lastSeen = forOps.id;
ops.socket.close();
const missed = [await publishHttp("missed one", "ops"), await publishHttp("missed two", "ops")];
const back = await open(`?topic=ops&lastEventId=${lastSeen}`);
assert.deepEqual([(await back.next()).id, (await back.next()).id], missed);
const live = await publishHttp("live again", "ops");
assert.equal((await back.next()).id, live, "then live, nothing repeated");

all.socket.close();
back.socket.close();
console.log("ws client: passed");
process.exit(0);
