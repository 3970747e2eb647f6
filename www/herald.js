// herald.js: listen to and publish on a herald server from any page.
//
//   <script src="http://HERALD-HOST:8000/herald.js"></script>
//   <script>
//     herald.subscribe({
//       topic: "ops",                                   // optional; or topics: ["a", "b"]
//       after: 1795489596544148,                        // optional: start after this id
//       withCredentials: true,                          // optional: send cookies (another origin)
//       onMessage: function (m) { console.log(m.id, m.data); },
//       onStatus: function (state) { /* connecting | live | reconnecting | refused */ },
//       onMissed: function () { /* some events could not be replayed */ },
//     });
//     herald.publish("deploy finished", { topic: "ops" }).then(function (id) {});
//   </script>
//
// One connection for all tabs. A browser opens at most six HTTP/1.1
// connections to one host, so a seventh tab with its own EventSource would
// wait for ever. On herald's own origin, the tabs therefore share one
// SharedWorker (herald-worker.js), which holds a single EventSource per topic
// and hands every event to every tab. Where SharedWorker is missing, or the
// page is on another origin (a worker must come from the page's origin),
// each tab opens its own stream.
//
// A page of an app on another origin (the app's login in front, herald on
// another port) passes withCredentials, so its session cookie goes with the
// stream and herald's --auth-hook can ask the app who it is; herald must
// name that origin in --cors-origin. A page that rendered with herald's
// newest id (`after`) starts from there, so nothing published between the
// render and the stream is missed.
//
// The stream (openStream below) is the same code in both places: it
// resumes after a drop with the last id it saw, so the server replays what
// was missed; it drops duplicates by id; and when EventSource gives up for
// good (any answer but 200, such as 503 from a full server) it starts again
// after a random delay, so many tabs do not return at the same instant.
// Except when herald's answer was 401 or 403: with `--auth-hook`, the app
// said this person may not listen here, and asking again would not change
// that. EventSource does not tell which status ended it, so the stream asks
// once with fetch (which carries the same cookies) and, on a refusal, stops
// and reports "refused"; a reload after logging in starts it again.
"use strict";

(function (scope) {
  var RETRY_MIN_MS = 1000;
  var RETRY_SPREAD_MS = 4000;

  // The server this script came from: the folder it was loaded from, not
  // only its origin, since behind a proxy at /herald/ herald's paths are
  // /herald/events and /herald/publish. A worker has no currentScript, but
  // its own address is in the same folder.
  var inWorker = typeof document === "undefined";
  var base = inWorker ? folderOf(scope.location.href) : scope.location.origin;
  if (!inWorker && document.currentScript && document.currentScript.src) {
    base = folderOf(document.currentScript.src);
  }

  /** Whether the options name an id to start after (0 too: all held). */
  function startsAfterAnId(options) {
    return options.after !== undefined && options.after !== null && options.after !== "";
  }

  /** The topics an options object names, as a list (none: everything). */
  function topicsOf(options) {
    if (options.topics) return options.topics.slice();
    return options.topic ? [options.topic] : [];
  }

  /**
   * Opens a resuming EventSource on `server` for `options.topics` (none:
   * all), after id `options.after`, with cookies if
   * `options.withCredentials`; calls handlers.message({id, data}),
   * handlers.status(state), handlers.missed(). The state is connecting,
   * live, reconnecting, or refused (for good). Returns {close()}.
   */
  function openStream(server, options, handlers) {
    var topics = topicsOf(options);
    var credentials = Boolean(options.withCredentials);
    var lastId = Number(options.after) || 0;
    var resume = startsAfterAnId(options);
    var source = null;
    var timer = null;
    var closed = false;

    function url() {
      var params = new URLSearchParams();
      topics.forEach(function (topic) { params.append("topic", topic); });
      if (lastId || resume) params.append("lastEventId", String(lastId));
      var query = params.toString();
      return server + "/events" + (query ? "?" + query : "");
    }

    function connect() {
      timer = null;
      handlers.status(lastId ? "reconnecting" : "connecting");
      source = new EventSource(url(), { withCredentials: credentials });
      source.onopen = function () { handlers.status("live"); };
      source.onmessage = function (event) {
        var id = Number(event.lastEventId);
        if (id && id <= lastId) return;
        if (id) lastId = id;
        handlers.message({ id: id, data: event.data });
      };
      source.addEventListener("herald-missed", function () { handlers.missed(); });
      source.onerror = function () {
        handlers.status("reconnecting");
        if (source.readyState === EventSource.CLOSED && !closed) {
          source = null;
          refusedOrRetry();
        }
      };
    }

    // Called when EventSource has given up for good: it was not answered
    // with a stream. Ask once more to learn the status (aborting at once if
    // a stream starts after all), then stop on 401/403 or retry later.
    function refusedOrRetry() {
      var abort = new AbortController();
      fetch(url(), {
        signal: abort.signal, cache: "no-store", credentials: credentials ? "include" : "same-origin",
      })
        .then(function (response) {
          abort.abort();
          return response.status === 401 || response.status === 403;
        }, function () { return false; })
        .then(function (refused) {
          if (closed) return;
          if (refused) handlers.status("refused");
          else timer = setTimeout(connect, RETRY_MIN_MS + Math.random() * RETRY_SPREAD_MS);
        });
    }

    connect();
    return {
      close: function () {
        closed = true;
        if (timer) clearTimeout(timer);
        if (source) source.close();
      },
    };
  }

  /** Subscribes this tab; see the example at the top. Returns {close()}. */
  function subscribe(options) {
    var handlers = {
      message: options.onMessage || function () {},
      status: options.onStatus || function () {},
      missed: options.onMissed || function () {},
    };
    // The worker shares streams by topics; a stream that starts after a
    // given id is this tab's own.
    var own = startsAfterAnId(options);
    var elsewhere = new URL(base).origin !== scope.location.origin;
    if (typeof SharedWorker === "undefined" || elsewhere || own) {
      return openStream(base, options, handlers);
    }
    var topics = topicsOf(options);
    var port;
    try {
      port = new SharedWorker(base + "/herald-worker.js", { name: "herald" }).port;
    } catch (error) {
      return openStream(base, options, handlers);
    }
    port.onmessage = function (event) {
      var note = event.data;
      if (note.type === "message") handlers.message(note.message);
      else if (note.type === "status") handlers.status(note.state);
      else if (note.type === "missed") handlers.missed();
    };
    port.postMessage({ type: "subscribe", topics: topics });
    // A worker is not told when a tab goes away: the tab says so.
    function leave() { port.postMessage({ type: "unsubscribe" }); }
    scope.addEventListener("pagehide", leave);
    scope.addEventListener("pageshow", function (event) {
      if (event.persisted) port.postMessage({ type: "subscribe", topics: topics });
    });
    return { close: leave };
  }

  /**
   * Publishes `message`; options: topic, event, token, withCredentials.
   * Resolves with the event id; rejects with an Error that carries the
   * server's reason.
   */
  function publish(message, options) {
    options = options || {};
    var body = new URLSearchParams({ message: message });
    if (options.topic) body.append("topic", options.topic);
    if (options.event) body.append("event", options.event);
    var headers = {};
    if (options.token) headers.Authorization = "Bearer " + options.token;
    var credentials = options.withCredentials ? "include" : "same-origin";
    return fetch(base + "/publish", { method: "POST", body: body, headers: headers, credentials: credentials })
      .then(function (response) {
        return response.text().then(function (text) {
          if (!response.ok) throw new Error(text.trim() || "HTTP " + response.status);
          return Number(text.trim());
        });
      });
  }

  /** The address of the folder that holds `address`, without a final slash. */
  function folderOf(address) {
    var url = new URL(address);
    return url.origin + url.pathname.replace(/\/[^\/]*$/, "");
  }

  scope.herald = { base: base, subscribe: subscribe, publish: publish, openStream: openStream };
})(self);
