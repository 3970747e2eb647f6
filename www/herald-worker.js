// herald-worker.js: the SharedWorker that holds one stream per topic (or
// set of topics) for every tab of herald's origin (see herald.js, whose
// openStream it uses).
//
// Each tab's port says {type: "subscribe", topics} and, when the tab goes
// away, {type: "unsubscribe"}. The worker opens a stream for a topic when
// the first tab asks for it, sends each event to every tab on that topic,
// and closes the stream when the last of them leaves. It lives as long as
// any tab is open; a tab opened later joins the running stream.
"use strict";

importScripts("herald.js");

var streams = new Map(); // topics, joined by newlines -> {ports, state, stream}

function send(entry, note) {
  entry.ports.forEach(function (port) { port.postMessage(note); });
}

function join(port, topics) {
  leave(port);
  var name = topics.join("\n"); // a topic never holds a line break
  var entry = streams.get(name);
  // A refused stream has stopped; a tab opened later (perhaps after its
  // person logged in) deserves a fresh try, for every tab on the topic.
  if (entry && entry.state === "refused") {
    entry.stream.close();
    streams.delete(name);
    entry = null;
  }
  if (!entry) {
    entry = { ports: new Set(), state: "connecting", stream: null };
    streams.set(name, entry);
    entry.stream = self.herald.openStream(self.herald.base, { topics: topics }, {
      message: function (message) { send(entry, { type: "message", message: message }); },
      status: function (state) { entry.state = state; send(entry, { type: "status", state: state }); },
      missed: function () { send(entry, { type: "missed" }); },
    });
  }
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
    if (message.data.type === "subscribe") join(port, message.data.topics || []);
    else if (message.data.type === "unsubscribe") leave(port);
  };
  port.start();
};
