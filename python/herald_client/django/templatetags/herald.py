"""``{% load herald %}{% herald_feed "user-42" "team-ops" %}``: a live list;
``{% herald_state "builds" %}``: the current value of each key, live.

The tag renders an accessible list that fills with the events of the topics
it names, newest first, using ``herald.js`` from ``HERALD_PUBLIC_URL`` (no
CDN). While rendering it asks herald for its newest id, and the page's
stream starts after that id: an event published between the render and the
moment the script connects is replayed, not missed. If herald cannot be
reached while rendering, the page still renders, and the script keeps
trying to load ``herald.js`` and connect.

``{% herald_presence "ticket-7" %}`` renders who has the topic open now
(``GET /presence``, as the app's backend), names as text, and keeps the
list live from herald's ``herald-presence`` events (``presence=1``).

``herald_state`` renders the values herald holds for its topics into the
page itself (``GET /state``), so the page shows them at once, with no empty
flash; then the script opens the stream after the ``last_id`` they were
read at, and updates each value in place, adds new keys and removes
deleted ones. If the tab sleeps past what herald's history holds, herald
sends the whole state again and the list is redrawn from it.

The stream is opened with the page's cookies (``withCredentials``), so with
herald's ``--auth-hook`` pointing at this app, the person sees only the
topics the app allows. On another origin, herald must name the app's
origin in ``--cors-origin``.
"""

import json

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from herald_client.client import Client, HeraldError
from herald_client.django.conf import herald_url, public_url, publish_token

register = template.Library()

# How long the render waits for herald's newest id, in seconds: a page must
# not hang on herald.
_LAST_ID_TIMEOUT_SECONDS = 0.5

# Loads herald.js (retrying while herald is away) and starts every feed on
# the page. Messages are inserted as text, never as HTML.
_SCRIPT = mark_safe("""
(function () {
  var RETRY_MS = 3000;
  function start() {
    document.querySelectorAll("section.herald-values:not([data-started])").forEach(startValues);
    document.querySelectorAll("section.herald-presence:not([data-started])").forEach(startPresence);
    document.querySelectorAll("section.herald-feed:not([data-started])").forEach(function (feed) {
      feed.setAttribute("data-started", "");
      var list = feed.querySelector("ol");
      var state = feed.querySelector(".herald-state");
      herald.subscribe({
        topics: JSON.parse(feed.dataset.topics),
        after: feed.dataset.after,
        withCredentials: true,
        onMessage: function (message) {
          var item = document.createElement("li");
          item.textContent = message.data;
          list.insertBefore(item, list.firstChild);
        },
        onStatus: function (status) { state.textContent = status; },
      });
    });
  }
  function startValues(section) {
    section.setAttribute("data-started", "");
    var list = section.querySelector("ul");
    function rowOf(topic, key, make) {
      var name = JSON.stringify([topic, key]);
      for (var i = 0; i < list.children.length; i++) {
        if (list.children[i].dataset.name === name) return list.children[i];
      }
      if (!make) return null;
      var row = document.createElement("li");
      row.dataset.name = name;
      list.appendChild(row);
      return row;
    }
    function fill(row, message) {
      row.textContent = "";
      var key = document.createElement("span");
      key.className = "herald-key";
      key.textContent = message.key;
      var value = document.createElement("span");
      value.className = "herald-value";
      value.textContent = message.data;
      var time = document.createElement("time");
      time.dateTime = message.time || "";
      time.textContent = message.time ? new Date(message.time).toLocaleString() : "";
      row.append(key, " ", value, " ", time);
    }
    herald.subscribe({
      topics: JSON.parse(section.dataset.topics),
      after: section.dataset.after,
      withCredentials: true,
      state: true,
      onValues: function (values, change) {
        if (change.type === "snapshot") {
          list.textContent = "";
          values.forEach(function (keys) {
            keys.forEach(function (message) { fill(rowOf(message.topic, message.key, true), message); });
          });
        } else if (change.type === "set") {
          fill(rowOf(change.topic, change.key, true), change.value);
        } else {
          var row = rowOf(change.topic, change.key, false);
          if (row) row.remove();
        }
      },
    });
  }
  function startPresence(section) {
    section.setAttribute("data-started", "");
    var list = section.querySelector("ul");
    var counts = section.querySelector(".herald-counts");
    herald.subscribe({
      topics: [section.dataset.topic],
      withCredentials: true,
      presence: true,
      onPresence: function (people) {
        list.textContent = "";
        people.users.forEach(function (person) {
          var item = document.createElement("li");
          item.textContent = person.user;
          item.dataset.connections = String(person.connections);
          list.appendChild(item);
        });
        counts.textContent = countsText(people.more, people.anonymous);
      },
    });
  }
  function countsText(more, anonymous) {
    var parts = [];
    if (more) parts.push("and " + more + " more");
    if (anonymous) parts.push(anonymous + (anonymous === 1 ? " guest" : " guests"));
    return parts.join(", ");
  }
  function load(src) {
    if (window.herald) return start();
    var script = document.createElement("script");
    script.src = src;
    script.onload = start;
    script.onerror = function () {
      script.remove();
      setTimeout(function () { load(src); }, RETRY_MS);
    };
    document.head.appendChild(script);
  }
  load(document.currentScript.dataset.herald);
})();
""")


@register.simple_tag(takes_context=True)
def herald_feed(context, *topics):
    """A list that shows the events of ``topics`` as they are published."""
    # Herald's newest id; 0 when it holds none (replay all that comes);
    # "" when it cannot be reached (then the feed starts live, later).
    try:
        after = Client(url=herald_url(), timeout=_LAST_ID_TIMEOUT_SECONDS).last_id() or 0
    except HeraldError:
        after = ""
    html = format_html(
        '<section class="herald-feed" aria-label="Live updates" data-topics="{}" data-after="{}">'
        '<p class="herald-state" role="status">connecting</p>'
        '<ol aria-live="polite"></ol></section>',
        json.dumps(list(topics)),
        after,
    )
    return html + _loader(context)


def _row_name(value):
    """A value's row name, as the script writes it (JSON.stringify)."""
    return json.dumps([value["topic"], value["key"]], separators=(",", ":"))


def _loader(context):
    """The script that loads herald.js, once per page however many feeds
    and value lists it has; empty after the first."""
    if context.render_context.get("herald_script"):
        return mark_safe("")
    context.render_context["herald_script"] = True
    return format_html('<script data-herald="{}">{}</script>', public_url() + "/herald.js", _SCRIPT)


@register.simple_tag(takes_context=True)
def herald_state(context, *topics):
    """The current value of each key of ``topics``, rendered now and kept live."""
    try:
        # As the app's backend (the publish token): the view that renders
        # this tag has decided who may see these topics.
        backend = Client(url=herald_url(), token=publish_token(), timeout=_LAST_ID_TIMEOUT_SECONDS)
        state = backend.get_state(list(topics))
        after, values = state["last_id"], state["values"]
    except (HeraldError, ValueError, KeyError):
        # herald away: render the place, and the script fills it when it can.
        after, values = "", []
    rows = format_html_join(
        "",
        '<li data-name="{}"><span class="herald-key">{}</span> '
        '<span class="herald-value">{}</span> <time datetime="{}">{}</time></li>',
        (
            (_row_name(v), v["key"], v["data"], v["time"], v["time"])
            for v in values
        ),
    )
    html = format_html(
        '<section class="herald-values" aria-label="Current values" data-topics="{}" data-after="{}">'
        '<ul aria-live="polite">{}</ul></section>',
        json.dumps(list(topics)),
        after,
        rows,
    )
    return html + _loader(context)


@register.simple_tag(takes_context=True)
def herald_presence(context, topic):
    """Who has ``topic`` open, rendered now and kept live."""
    try:
        # As the app's backend: the view that renders this tag has decided
        # who may see this topic, and so who is in it.
        backend = Client(url=herald_url(), token=publish_token(), timeout=_LAST_ID_TIMEOUT_SECONDS)
        people = backend.presence(topic)
    except (HeraldError, ValueError, KeyError):
        people = {"users": [], "more": 0, "anonymous": 0}
    names = format_html_join(
        "",
        '<li data-connections="{}">{}</li>',
        ((person["connections"], person["user"]) for person in people["users"]),
    )
    html = format_html(
        '<section class="herald-presence" aria-label="Here now" data-topic="{}">'
        '<ul aria-live="polite">{}</ul><span class="herald-counts">{}</span></section>',
        topic,
        names,
        _counts_text(people["more"], people["anonymous"]),
    )
    return html + _loader(context)


def _counts_text(more, anonymous):
    """The line after the names, as the script writes it."""
    parts = []
    if more:
        parts.append("and %d more" % more)
    if anonymous:
        parts.append("%d guest%s" % (anonymous, "" if anonymous == 1 else "s"))
    return ", ".join(parts)
