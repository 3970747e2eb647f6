// herald's page: a live feed from /events and a form that posts to /publish.
//
// The browser's EventSource does the hard part: it reconnects by itself and
// sends the last event id it saw, so the server replays what was missed.
// This script adds what EventSource lacks:
//  - a connection indicator (connecting / live / reconnecting);
//  - a restart after EventSource gives up for good (it does when the server
//    answers anything but 200 text/event-stream, e.g. 503 when full), after a
//    random delay so that many tabs do not come back at the same instant;
//  - duplicate suppression by id, in case a replay overlaps what was shown.
// Messages are always inserted as text (textContent), never as HTML.
"use strict";

(function () {
  var topic = new URLSearchParams(location.search).get("topic") || "";
  var feed = document.getElementById("feed");
  var statusLine = document.getElementById("status");
  var form = document.getElementById("publish");
  var input = document.getElementById("message");
  var sendError = document.getElementById("send-error");
  var tokenRow = document.getElementById("token-row");
  var tokenInput = document.getElementById("token");
  var lastId = 0;
  var source = null;

  document.getElementById("topic").value = topic;
  document.getElementById("room").textContent = topic ? "· " + topic : "";
  if (topic) document.title = "herald · " + topic;

  function setStatus(state) {
    statusLine.dataset.state = state;
    statusLine.textContent = state === "live" ? "live" : state + "…";
  }

  function streamUrl() {
    var params = new URLSearchParams();
    if (topic) params.append("topic", topic);
    if (lastId) params.append("lastEventId", String(lastId));
    var query = params.toString();
    return "/events" + (query ? "?" + query : "");
  }

  function show(text, className) {
    var item = document.createElement("li");
    if (className) item.className = className;
    var time = document.createElement("time");
    var now = new Date();
    time.dateTime = now.toISOString();
    time.textContent = now.toLocaleTimeString();
    var body = document.createElement("span");
    body.className = "text";
    body.textContent = text;
    item.appendChild(time);
    item.appendChild(body);
    feed.insertBefore(item, feed.firstChild);
  }

  function onMessage(event) {
    var id = Number(event.lastEventId);
    if (id && id <= lastId) return;
    if (id) lastId = id;
    show(event.data);
  }

  function connect() {
    setStatus(lastId ? "reconnecting" : "connecting");
    source = new EventSource(streamUrl());
    source.onopen = function () { setStatus("live"); };
    source.onmessage = onMessage;
    source.addEventListener("herald-missed", function () {
      show("Some earlier messages could not be replayed.", "notice");
    });
    source.onerror = function () {
      setStatus("reconnecting");
      if (source.readyState === EventSource.CLOSED) {
        source = null;
        setTimeout(connect, 1000 + Math.random() * 4000);
      }
    };
  }

  // When the server needs a token to publish, show the field; remember
  // what was typed in this browser so it is asked for once.
  tokenInput.value = localStorage.getItem("herald-token") || "";
  fetch("/stats").then(function (r) { return r.json(); }).then(function (stats) {
    tokenRow.hidden = !stats.token_required;
  }).catch(function () {});

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = new URLSearchParams(new FormData(form));
    if (tokenInput.value) localStorage.setItem("herald-token", tokenInput.value);
    sendError.hidden = true;
    fetch("/publish", { method: "POST", body: body })
      .then(function (response) {
        if (response.ok) {
          input.value = "";
          return;
        }
        return response.text().then(function (reason) {
          throw new Error(reason.trim() || "HTTP " + response.status);
        });
      })
      .catch(function (error) {
        sendError.textContent = "Not sent: " + (error.message || "the server cannot be reached");
        sendError.hidden = false;
      })
      .then(function () { input.focus(); });
  });

  connect();
})();
