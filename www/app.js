// herald's page: the live feed and the form, on top of herald.js.
//
// herald.js keeps the stream (shared by all tabs through a SharedWorker,
// resumed after a drop, retried when the server is full); this script shows
// what arrives and sends what is typed. It opens with the newest RECENT
// messages, shows each with the time herald accepted it (a replayed one
// keeps its own time), its type when it has one and its topic when the
// page shows every topic, and keeps the newest MAX_SHOWN in the page, so a
// feed of thousands stays quick. Above the feed, "Now" shows the current
// value of each key (herald's live state), updated in place and removed
// when deleted, each with its time; "Here now" (here-now.js) shows who
// else has the topic open. Messages are always inserted as text
// (textContent), never as HTML.
"use strict";

(function () {
  var RECENT = 50;
  var MAX_SHOWN = 300;
  var topic = new URLSearchParams(location.search).get("topic") || "";
  var feed = document.getElementById("feed");
  var statusLine = document.getElementById("status");
  var form = document.getElementById("publish");
  var input = document.getElementById("message");
  var sendError = document.getElementById("send-error");
  var tokenRow = document.getElementById("token-row");
  var tokenInput = document.getElementById("token");
  var now = document.getElementById("now");
  var valueList = document.getElementById("values");

  // The form carries a topic only when the page has one: an empty topic
  // is refused, as it names no topic.
  document.getElementById("topic").value = topic;
  if (topic) document.getElementById("topic").name = "topic";
  document.getElementById("room").textContent = topic ? "· " + topic : "";
  if (topic) document.title = "herald · " + topic;

  var STATUS_TEXT = {
    connecting: "connecting…",
    live: "live",
    reconnecting: "reconnecting…",
    refused: "not allowed: sign in to the app, then reload",
  };

  function setStatus(state) {
    statusLine.dataset.state = state;
    statusLine.textContent = STATUS_TEXT[state] || state;
  }

  var shown = new Set(); // the ids in the feed, so a message is shown once

  /** A <time> for `when`: the time of day, and the date when not today. */
  function timeElement(when) {
    var time = document.createElement("time");
    time.dateTime = when.toISOString();
    var today = when.toDateString() === new Date().toDateString();
    time.textContent = today ? when.toLocaleTimeString() : when.toLocaleString();
    return time;
  }

  function label(text, className) {
    var span = document.createElement("span");
    span.className = "label " + className;
    span.textContent = text;
    return span;
  }

  function show(message, className) {
    if (message.id && shown.has(message.id)) return;
    var item = document.createElement("li");
    if (className) item.className = className;
    if (message.id) { shown.add(message.id); item.dataset.id = message.id; }
    item.appendChild(timeElement(message.time ? new Date(message.time) : new Date()));
    if (message.event && message.event !== "message") {
      item.appendChild(label(message.event, "type type-" + message.event.replace(/[^\w-]/g, "")));
    }
    if (message.topic && !topic) item.appendChild(label(message.topic, "topic"));
    var body = document.createElement("span");
    body.className = "text";
    body.textContent = message.data;
    item.appendChild(body);
    feed.insertBefore(item, feed.firstChild);
    while (feed.children.length > MAX_SHOWN) {
      shown.delete(Number(feed.lastChild.dataset.id));
      feed.removeChild(feed.lastChild);
    }
  }

  /**
   * The row of one key's value, kept in key order; with `make`, made when
   * there is none.
   */
  function valueRow(topicName, key, make) {
    var name = (topicName || "") + "\n" + key;
    var rows = valueList.children;
    for (var i = 0; i < rows.length; i++) {
      if (rows[i].dataset.name === name) return rows[i];
      if (rows[i].dataset.name > name) break;
    }
    if (!make) return null;
    var row = document.createElement("li");
    row.dataset.name = name;
    valueList.insertBefore(row, rows[i] || null);
    return row;
  }

  /** Fills `row` with the key, its value and when it was set. */
  function fillRow(row, message) {
    row.textContent = "";
    var key = document.createElement("span");
    key.className = "key";
    key.textContent = message.key;
    row.appendChild(key);
    if (message.topic && !topic) row.appendChild(label(message.topic, "topic"));
    var body = document.createElement("span");
    body.className = "text";
    body.textContent = message.data;
    row.appendChild(body);
    row.appendChild(timeElement(message.time ? new Date(message.time) : new Date()));
  }

  /** Shows the values: all of them after a snapshot, else the one change. */
  function showValues(values, change) {
    if (change.type === "snapshot") {
      valueList.textContent = "";
      values.forEach(function (keys) {
        keys.forEach(function (message) {
          fillRow(valueRow(message.topic, message.key, true), message);
        });
      });
    } else if (change.type === "set") {
      fillRow(valueRow(change.topic, change.key, true), change.value);
    } else {
      var row = valueRow(change.topic, change.key, false);
      if (row) row.remove();
    }
    now.hidden = valueList.children.length === 0;
  }

  herald.subscribe({
    topic: topic,
    recent: RECENT,
    state: true,
    onValues: showValues,
    // Who else is here: only a page of one topic has a room to be in.
    presence: Boolean(topic),
    onPresence: hereNow.show,
    onMessage: function (message) { show(message); },
    onStatus: setStatus,
    onMissed: function () {
      show({ data: "Some earlier messages could not be replayed." }, "notice");
    },
  });

  // When the server needs a token to publish, show the field; remember
  // what was typed in this browser so it is asked for once.
  tokenInput.value = localStorage.getItem("herald-token") || "";
  fetch(herald.base + "/stats").then(function (r) { return r.json(); }).then(function (stats) {
    tokenRow.hidden = !stats.token_required;
  }).catch(function () {});

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var token = tokenInput.value;
    if (token) localStorage.setItem("herald-token", token);
    sendError.hidden = true;
    herald.publish(input.value, { topic: topic, token: token })
      .then(function () { input.value = ""; })
      .catch(function (error) {
        var reason = error instanceof TypeError ? "the server cannot be reached" : error.message;
        sendError.textContent = "Not sent: " + reason;
        sendError.hidden = false;
      })
      .then(function () { input.focus(); });
  });
})();
