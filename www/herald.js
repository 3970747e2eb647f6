// herald.js: listen to and publish on a herald server from any page.
//
//   <script src="http://HERALD-HOST:8000/herald.js"></script>
//   <script>
//     herald.subscribe({
//       topic: "ops",                                   // optional; or topics: ["a", "b"]
//       after: 1795489596544148,                        // optional: start after this id
//       withCredentials: true,                          // optional: send cookies (another origin)
//       recent: 50,                                     // optional: start with the newest 50
//       state: true,                                    // optional: each key's current value
//       onValues: function (values, change) { /* values.get("ops").get("disk").data */ },
//       presence: true,                                 // optional: who is listening
//       onPresence: function (list) { /* list.topic, list.users[0].user, list.anonymous */ },
//       onMessage: function (m) { console.log(m.id, m.event, m.topic, m.time, m.data); },
//       onStatus: function (state) { /* connecting | live | reconnecting | refused */ },
//       onMissed: function () { /* some events could not be replayed */ },
//     });
//     herald.publish("deploy finished", { topic: "ops" }).then(function (id) {});
//     herald.publish("91%", { topic: "ops", key: "disk", ttl: 3600 });  // a key's value
//   </script>
//
// One connection for all tabs. A browser opens at most six HTTP/1.1
// connections to one host, so a seventh tab with its own stream would wait
// for ever. On herald's own origin, the tabs therefore share one
// SharedWorker (herald-worker.js), which holds a single stream per topic
// and hands every event to every tab. Where SharedWorker is missing, or the
// page is on another origin (a worker must come from the page's origin),
// each tab opens its own stream.
//
// A page of an app on another origin (the app's login in front, herald on
// another port) passes withCredentials, so its session cookie goes with the
// stream and herald's --auth-hook can ask the app who it is; herald must
// name that origin in --cors-origin. A page that rendered with herald's
// newest id (`after`) starts from there, so nothing published between the
// render and the stream is missed; a page that just opened may ask for the
// `recent` newest events instead.
//
// Live state. With `state: true` the stream starts from every key's
// current value (herald's state=1) and keeps them: onValues(values, change)
// is called once the snapshot is in (change.type "snapshot") and at each
// change ("set" or "delete", with change.topic, change.key and, for a set,
// change.value). `values` is a Map from topic (null for none) to a Map from
// key to the message that set it, {id, event, topic, key, time, data}.
// Keyed events then go to onValues only, not to onMessage: they are state,
// not news. After a reconnect that missed changes, herald sends the
// snapshot again, and `values` is replaced by it, so keys deleted while
// the tab slept go too.
//
// Presence. With `presence: true` (herald's presence=1) the page learns
// who listens to each of its topics: onPresence(list, lists) is called with
// a topic's list when the stream opens and whenever it changes (at most
// once per --presence-interval), where list is {topic, users: [{user,
// connections, since}], more, anonymous} and `lists` a Map of every topic's.
//
// Why fetch, not EventSource. EventSource hands a page only the event
// types it listens for by name, which a page cannot know in advance, and
// hides herald's own fields (topic:, time:) and the answer's status. So the
// stream is read with fetch and parsed here, by the rules of the WHATWG
// event-stream format (readEvents below); other clients still get plain
// SSE. Every event reaches onMessage as {id, event, topic, time, data}, with
// event "message" for an unnamed one; herald's own signals (herald-missed,
// herald-unavailable, herald-revoked) are handled here and reach the page
// through onMissed and onStatus, never as messages.
//
// The stream (openStream below) is the same code in the worker and in a
// page: it resumes after a drop with the last id it saw, so the server
// replays what was missed; it drops duplicates by id; and after a drop or
// any answer but 200 it comes back after the server's retry: delay and a
// random part, so many tabs do not return at the same instant. Except when
// herald says 401 or 403 (or ends the stream with herald-revoked): with
// --auth-hook the app said this person may not listen here, and asking
// again would not change that, so the stream stops and reports "refused";
// a reload after logging in starts it again.
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
   * Opens a resuming stream on `server` for `options.topics` (none: all),
   * after id `options.after` or else with the `options.recent` newest held
   * events, with cookies if `options.withCredentials`; calls
   * handlers.message({id, event, topic, time, data}),
   * handlers.status(state), handlers.missed(). The state is connecting,
   * live, reconnecting, or refused (for good). Returns {close()}.
   */
  function openStream(server, options, handlers) {
    var topics = topicsOf(options);
    var wantsState = Boolean(options.state);
    var wantsPresence = Boolean(options.presence);
    var lists = new Map(); // topic -> presence list
    var values = new Map(); // topic -> Map(key -> message)
    var fresh = null; // with state: the values since this connection opened
    var credentials = options.withCredentials ? "include" : "same-origin";
    var lastId = Number(options.after) || 0;
    var resume = startsAfterAnId(options);
    var recent = Number(options.recent) || 0;
    var retryMs = RETRY_MIN_MS;
    var abort = null;
    var timer = null;
    var closed = false;

    function url() {
      var params = new URLSearchParams();
      topics.forEach(function (topic) { params.append("topic", topic); });
      if (lastId || resume) params.append("lastEventId", String(lastId));
      else if (recent) params.append("recent", String(recent));
      if (wantsState) params.append("state", "1");
      if (wantsPresence) params.append("presence", "1");
      var query = params.toString();
      return server + "/events" + (query ? "?" + query : "");
    }

    function connect() {
      timer = null;
      handlers.status(lastId ? "reconnecting" : "connecting");
      fresh = wantsState ? new Map() : null;
      abort = new AbortController();
      var request = { signal: abort.signal, credentials: credentials, cache: "no-store" };
      fetch(url(), request)
        .then(function (response) {
          if (response.status === 401 || response.status === 403) return "refused";
          if (!response.ok || !response.body) return "again";
          return readEvents(response.body, {
            live: function () { handlers.status("live"); },
            retry: function (ms) { retryMs = ms; },
            event: dispatch,
          });
        })
        .catch(function () { return "again"; })
        .then(function (next) {
          if (closed) return;
          if (next === "refused") return handlers.status("refused");
          handlers.status("reconnecting");
          timer = setTimeout(connect, retryMs + Math.random() * RETRY_SPREAD_MS);
        });
    }

    // One whole event from the stream; "refused" ends the stream for good.
    function dispatch(event) {
      if (event.event === "herald-missed") return handlers.missed();
      if (event.event === "herald-revoked") return "refused";
      if (event.event === "herald-unavailable") return undefined; // the stream ends: come back
      if (event.event === "herald-state") return snapshotEnds(Number(event.id));
      if (event.event === "herald-presence") return presenceChanged(event.data);
      if (wantsState && event.key !== null) return keyed(event);
      var id = Number(event.id);
      if (id && id <= lastId) return undefined;
      if (id) lastId = id;
      event.id = id;
      handlers.message(event);
      return undefined;
    }

    // herald-state: what came since the stream opened is the whole state.
    function snapshotEnds(id) {
      if (id > lastId) lastId = id;
      if (!fresh) return undefined;
      values = fresh;
      fresh = null;
      handlers.values({ type: "snapshot" }, values);
      return undefined;
    }

    // A topic's list of who is listening, whole each time.
    function presenceChanged(data) {
      var list;
      try { list = JSON.parse(data); } catch (error) { return undefined; }
      lists.set(list.topic, list);
      if (handlers.presence) handlers.presence(list, lists);
      return undefined;
    }

    // A value set or deleted. A snapshot's values may be older than what
    // this tab holds (it resends the current ones): a key keeps its newest.
    function keyed(event) {
      var id = Number(event.id);
      event.id = id;
      if (id > lastId) lastId = id;
      var change = {
        type: event.event === "herald-delete" ? "delete" : "set",
        topic: event.topic, key: event.key, value: event.event === "herald-delete" ? null : event,
      };
      if (fresh) applyChange(fresh, change);
      var held = keysOf(values, event.topic).get(event.key);
      if (held && held.id >= id) return undefined;
      // A delete of a key this tab does not hold is still told: the page
      // may show it from elsewhere (a value rendered by the app's server).
      applyChange(values, change);
      handlers.values(change, values);
      return undefined;
    }

    connect();
    return {
      values: function () { return values; },
      presence: function () { return lists; },
      close: function () {
        closed = true;
        if (timer) clearTimeout(timer);
        if (abort) abort.abort();
      },
    };
  }

  /** The Map of `topic`'s keys in `values`, made if there is none. */
  function keysOf(values, topic) {
    if (!values.has(topic)) values.set(topic, new Map());
    return values.get(topic);
  }

  /** Applies a change ({type, topic, key, value}) to `values`. */
  function applyChange(values, change) {
    var keys = keysOf(values, change.topic);
    if (change.type === "set") keys.set(change.key, change.value);
    else keys.delete(change.key);
    if (!keys.size) values.delete(change.topic);
  }

  /**
   * Reads an event stream from `body` (a ReadableStream of bytes) until it
   * ends, by the WHATWG rules: lines end in CR, LF or CRLF; a line starting
   * with ":" is a comment; "field: value" fields gather until an empty line
   * dispatches them; an event with no data is not dispatched. Calls
   * on.live() at the first comment (herald opens every real stream with
   * one), on.retry(ms), and on.event({id, event, topic, time, data}).
   * Resolves with what on.event returned to stop it, or "again" at the end.
   */
  function readEvents(body, on) {
    var reader = body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    var live = false;
    var fields = fresh();

    function fresh() { return { id: null, event: "", topic: null, key: null, time: null, data: [] }; }

    function line(text) {
      if (text === "") {
        var event = fields;
        fields = fresh();
        if (!event.data.length) return undefined;
        return on.event({
          id: event.id, event: event.event || "message", topic: event.topic,
          key: event.key, time: event.time, data: event.data.join("\n"),
        });
      }
      if (text[0] === ":") {
        if (!live) { live = true; on.live(); }
        return undefined;
      }
      var colon = text.indexOf(":");
      var name = colon < 0 ? text : text.slice(0, colon);
      var value = colon < 0 ? "" : text.slice(colon + 1).replace(/^ /, "");
      if (name === "data") fields.data.push(value);
      else if (name === "event") fields.event = value;
      else if (name === "id" && value.indexOf("\0") < 0) fields.id = value;
      else if (name === "topic") fields.topic = value;
      else if (name === "key") fields.key = value;
      else if (name === "time") fields.time = value;
      else if (name === "retry" && /^\d+$/.test(value)) on.retry(Number(value));
      return undefined;
    }

    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) return "again";
        buffer += decoder.decode(chunk.value, { stream: true });
        // A CR at the very end may be the first half of a CRLF: keep it.
        var lines = buffer.split(/\r\n|\n|\r(?!$)/);
        buffer = lines.pop();
        for (var i = 0; i < lines.length; i++) {
          var stop = line(lines[i]);
          if (stop) { reader.cancel(); return stop; }
        }
        return pump();
      });
    }
    return pump();
  }

  /** Subscribes this tab; see the example at the top. Returns {close()}. */
  function subscribe(options) {
    var handlers = {
      message: options.onMessage || function () {},
      status: options.onStatus || function () {},
      missed: options.onMissed || function () {},
      // openStream and the worker say (change, values); a page is given
      // (values, change), the values first, as what it mostly wants.
      values: function (change, values) {
        if (options.onValues) options.onValues(values, change);
      },
      presence: function (list, lists) {
        if (options.onPresence) options.onPresence(list, lists);
      },
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
    // The worker sends the whole state when it has one (the snapshot, or
    // on joining), then each change; this tab keeps its own copy.
    var values = new Map();
    var lists = new Map();
    port.onmessage = function (event) {
      var note = event.data;
      if (note.type === "message") handlers.message(note.message);
      else if (note.type === "status") handlers.status(note.state);
      else if (note.type === "missed") handlers.missed();
      else if (note.type === "values") {
        if (note.values) values = note.values;
        else applyChange(values, note.change);
        handlers.values(note.change, values);
      } else if (note.type === "presence") {
        lists.set(note.list.topic, note.list);
        handlers.presence(note.list, lists);
      }
    };
    var joining = {
      type: "subscribe", topics: topics, recent: options.recent || 0,
      state: Boolean(options.state), presence: Boolean(options.presence),
    };
    port.postMessage(joining);
    // A worker is not told when a tab goes away: the tab says so.
    function leave() { port.postMessage({ type: "unsubscribe" }); }
    scope.addEventListener("pagehide", leave);
    scope.addEventListener("pageshow", function (event) {
      if (event.persisted) port.postMessage(Object.assign({}, joining, { recent: 0 }));
    });
    return {
      close: leave,
      values: function () { return values; },
      presence: function () { return lists; },
    };
  }

  /**
   * Publishes `message`; options: topic, event, key, ttl, token,
   * withCredentials.
   * Resolves with the event id; rejects with an Error that carries the
   * server's reason.
   */
  function publish(message, options) {
    options = options || {};
    var body = new URLSearchParams({ message: message });
    if (options.topic) body.append("topic", options.topic);
    if (options.event) body.append("event", options.event);
    if (options.key) body.append("key", options.key);
    if (options.ttl) body.append("ttl", String(options.ttl));
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
