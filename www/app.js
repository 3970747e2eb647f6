// herald's page: the live feed and the form, on top of herald.js.
//
// herald.js keeps the stream (shared by all tabs through a SharedWorker,
// resumed after a drop, retried when the server is full); this script shows
// what arrives and sends what is typed. Messages are always inserted as
// text (textContent), never as HTML.
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

  document.getElementById("topic").value = topic;
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

  herald.subscribe({
    topic: topic,
    onMessage: function (message) { show(message.data); },
    onStatus: setStatus,
    onMissed: function () { show("Some earlier messages could not be replayed.", "notice"); },
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
