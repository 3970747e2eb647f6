// here-now.js: the page's "Here now" line, from herald's presence lists
// (herald.js's onPresence): who has this topic open, as the app's login
// names them, then how many more and how many guests.
//
//   Here now: anna (2 tabs), bob, and 3 others · 2 guests
//
// Each name is its own <span>, filled with textContent: a user name is the
// app's, and never read as HTML. A page that shows every topic has no room
// to be in, so the line stays hidden there.
"use strict";

var hereNow = (function () {
  var section = document.getElementById("here");
  var line = document.getElementById("people");

  function person(entry) {
    var span = document.createElement("span");
    span.className = "person";
    span.textContent = entry.user;
    if (entry.since) span.title = "since " + new Date(entry.since).toLocaleString();
    if (entry.connections > 1) {
      var tabs = document.createElement("small");
      tabs.textContent = " (" + entry.connections + " tabs)";
      span.appendChild(tabs);
    }
    return span;
  }

  function plural(count, one, many) {
    return count + " " + (count === 1 ? one : many);
  }

  /** Shows `list`: {topic, users, more, anonymous}. */
  function show(list) {
    line.textContent = "";
    list.users.forEach(function (entry, index) {
      if (index > 0) line.appendChild(document.createTextNode(", "));
      line.appendChild(person(entry));
    });
    var rest = [];
    if (list.more) rest.push((list.users.length ? "and " : "") + plural(list.more, "other", "others"));
    if (list.anonymous) rest.push(plural(list.anonymous, "guest", "guests"));
    if (rest.length) {
      var counts = document.createElement("span");
      counts.className = "counts";
      counts.textContent = (list.users.length ? " · " : "") + rest.join(" · ");
      line.appendChild(counts);
    }
    section.hidden = !list.users.length && !list.more && !list.anonymous;
  }

  return { show: show };
})();
