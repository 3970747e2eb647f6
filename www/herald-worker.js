// herald-worker.js: the SharedWorker that holds one stream per topic (or
// set of topics) for every tab of herald's origin (see herald.js, whose
// openStream it uses).
//
// Each tab's port says {type: "subscribe", topics, recent, state, presence} and, when the
// tab goes away, {type: "unsubscribe"}. The worker opens a stream for a topic when
// the first tab asks for it, sends each event to every tab on that topic,
// and closes the stream when the last of them leaves. It lives as long as
// any tab is open; a tab opened later joins the running stream, and gets
// the `recent` newest messages the worker kept for it (the stream asked
// herald for the newest ones when it opened, and keeps the newest since).
// At most MAX_KEPT are kept per stream. A stream with `state` (herald.js's
// live state) also keeps the current values, and a tab that joins it gets
// them whole, then each change; one with `presence` keeps each topic's
// list of who is listening, and a tab that joins gets the lists.
"use strict";

importScripts("herald.js");

var MAX_KEPT = 200;
var streams = new Map(); // topics, state, presence -> {ports, state, stream, kept, values, lists}

function send(entry, note) {
  entry.ports.forEach(function (port) { port.postMessage(note); });
}

function join(port, topics, recent, withState, withPresence) {
  leave(port);
  // A topic never holds a line break, nor begins with one.
  var name = (withState ? "\nstate\n" : "") + (withPresence ? "\npresence\n" : "") + topics.join("\n");
  var entry = streams.get(name);
  // A refused stream has stopped; a tab opened later (perhaps after its
  // person logged in) deserves a fresh try, for every tab on the topic.
  if (entry && entry.state === "refused") {
    entry.stream.close();
    streams.delete(name);
    entry = null;
  }
  if (!entry) {
    entry = { ports: new Set(), state: "connecting", stream: null, kept: [], values: null, lists: new Map() };
    streams.set(name, entry);
    var options = { topics: topics, recent: Math.min(recent, MAX_KEPT), state: withState, presence: withPresence };
    entry.stream = self.herald.openStream(self.herald.base, options, {
      message: function (message) {
        entry.kept.push(message);
        if (entry.kept.length > MAX_KEPT) entry.kept.shift();
        send(entry, { type: "message", message: message });
      },
      status: function (state) { entry.state = state; send(entry, { type: "status", state: state }); },
      missed: function () { send(entry, { type: "missed" }); },
      values: function (change, values) {
        entry.values = values;
        var whole = change.type === "snapshot" ? values : null;
        send(entry, { type: "values", change: change, values: whole });
      },
      presence: function (list) {
        entry.lists.set(list.topic, list);
        send(entry, { type: "presence", list: list });
      },
    });
  } else if (recent) {
    entry.kept.slice(-recent).forEach(function (message) {
      port.postMessage({ type: "message", message: message });
    });
  }
  if (entry.values) {
    port.postMessage({ type: "values", change: { type: "snapshot" }, values: entry.values });
  }
  entry.lists.forEach(function (list) { port.postMessage({ type: "presence", list: list }); });
  entry.ports.add(port);
  port.postMessage({ type: "status", state: entry.state });
}

function leave(port) {
  streams.forEach(function (entry, topic) {
    if (entry.ports.delete(port) && entry.ports.size === 0) {
      entry.stream.close();
      streams.delete(topic);
    }
  });
}

self.onconnect = function (event) {
  var port = event.ports[0];
  port.onmessage = function (message) {
    var note = message.data;
    if (note.type === "subscribe") {
      join(port, note.topics || [], Number(note.recent) || 0, Boolean(note.state), Boolean(note.presence));
    }
    else if (note.type === "unsubscribe") leave(port);
  };
  port.start();
};
