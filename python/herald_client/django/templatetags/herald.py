"""``{% load herald %}{% herald_feed "user-42" "team-ops" %}``: a live list.

The tag renders an accessible list that fills with the events of the topics
it names, newest first, using ``herald.js`` from ``HERALD_PUBLIC_URL`` (no
CDN). While rendering it asks herald for its newest id, and the page's
stream starts after that id: an event published between the render and the
moment the script connects is replayed, not missed. If herald cannot be
reached while rendering, the page still renders, and the script keeps
trying to load ``herald.js`` and connect.

The stream is opened with the page's cookies (``withCredentials``), so with
herald's ``--auth-hook`` pointing at this app, the person sees only the
topics the app allows. On another origin, herald must name the app's
origin in ``--cors-origin``.
"""

import json

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from herald_client.client import Client, HeraldError
from herald_client.django.conf import herald_url, public_url

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
    # One loader per page, however many feeds it has.
    if not context.render_context.get("herald_script"):
        context.render_context["herald_script"] = True
        html += format_html(
            '<script data-herald="{}">{}</script>', public_url() + "/herald.js", _SCRIPT
        )
    return html
