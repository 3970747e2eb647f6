"""herald_client.django in a real Django project (tests/django_project),
served over HTTP, with the real herald asking it through --auth-hook."""

import http.cookiejar
import json
import os
import pathlib
import re
import socket
import sys
import tempfile
import threading
import unittest
import urllib.parse
import urllib.request

from support import Herald, Stream

try:
    import django
except ImportError:  # pragma: no cover - CI installs Django
    django = None

PROJECT = pathlib.Path(__file__).resolve().parent / "django_project"


def setUpModule():
    if django is None:
        if os.environ.get("CI"):
            raise AssertionError("Django is not installed")
        raise unittest.SkipTest("Django is not installed")
    sys.path.insert(0, str(PROJECT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "settings"
    os.environ["DEMO_DATABASE"] = os.path.join(tempfile.mkdtemp(), "demo.sqlite3")
    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    User.objects.create_user("alice", password="pw-alice", is_staff=True)
    User.objects.create_user("bob", password="pw-bob")


class DjangoWithHerald(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        from django.conf import settings
        from django.core.wsgi import get_wsgi_application
        from serve import Quiet, ThreadingServer
        from wsgiref.simple_server import make_server

        cls.app = make_server(
            "127.0.0.1", 0, get_wsgi_application(), server_class=ThreadingServer, handler_class=Quiet
        )
        threading.Thread(target=cls.app.serve_forever, daemon=True).start()
        cls.app_url = "http://127.0.0.1:%d" % cls.app.server_port
        cls.herald = Herald(
            "--auth-hook", cls.app_url + "/herald/auth", "--publish-token", "s3cret"
        )
        settings.HERALD_URL = cls.herald.url
        settings.HERALD_PUBLISH_TOKEN = "s3cret"

    @classmethod
    def tearDownClass(cls):
        cls.herald.stop()
        cls.app.shutdown()
        cls.app.server_close()

    def topic_of(self, name):
        from django.contrib.auth.models import User

        return "user-%d" % User.objects.get(username=name).pk

    def login(self, name):
        """Logs in through Django's own login view; the session cookie."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        with opener.open(self.app_url + "/accounts/login/", timeout=5) as page:
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.read().decode())
        form = {"username": name, "password": "pw-" + name, "csrfmiddlewaretoken": token.group(1)}
        with opener.open(
            self.app_url + "/accounts/login/", urllib.parse.urlencode(form).encode(), timeout=5
        ) as landed:
            self.assertTrue(landed.geturl().endswith("/feed/"), "logged in, on the feed")
        return "sessionid=" + next(c.value for c in jar if c.name == "sessionid")

    def stream(self, cookie=None, query=""):
        stream = Stream(self.herald, query, {"Cookie": cookie} if cookie else {})
        self.addCleanup(stream.close)
        return stream

    def publish(self, message, topic=None):
        from herald_client.django.conf import client

        return client().publish(message, topic=topic)

    def test_each_user_gets_their_topic_and_public_events_never_anothers(self):
        alice = self.stream(self.login("alice"))
        bob = self.stream(self.login("bob"))
        self.assertEqual((alice.status, bob.status), (200, 200))
        self.publish("for bob", self.topic_of("bob"))
        self.publish("for alice", self.topic_of("alice"))
        self.publish("for ops", "ops")  # alice is staff
        self.publish("for everyone")
        seen = lambda stream: [e["data"] for e in stream.events_until("for everyone")]  # noqa: E731
        self.assertEqual(seen(alice), ["for alice", "for ops", "for everyone"])
        self.assertEqual(seen(bob), ["for bob", "for everyone"])

    def test_a_stream_without_a_session_or_for_anothers_topic_is_refused(self):
        self.assertEqual(self.stream().status, 401)
        self.assertEqual(self.stream("sessionid=forged").status, 401)
        alice = self.login("alice")
        self.assertEqual(self.stream(alice, "topic=" + self.topic_of("bob")).status, 403)

    def test_publish_on_commit_sends_after_the_commit_and_never_after_a_rollback(self):
        from django.db import transaction

        from herald_client.django import publish_on_commit

        topic = self.topic_of("alice")
        alice = self.stream(self.login("alice"))
        with transaction.atomic():
            publish_on_commit("after the commit", topic=topic)
            self.publish("inside the block", topic)
        try:
            with transaction.atomic():
                publish_on_commit("rolled back", topic=topic)
                raise RuntimeError("the view failed")
        except RuntimeError:
            pass
        self.publish("end", topic)
        self.assertEqual(
            [e["data"] for e in alice.events_until("end")],
            ["inside the block", "after the commit", "end"],
        )

    def test_a_view_that_publishes_while_herald_is_down_still_answers(self):
        from django.contrib.auth.models import User
        from django.test import Client, override_settings

        closed = socket.create_server(("127.0.0.1", 0))
        down = "http://127.0.0.1:%d" % closed.getsockname()[1]
        closed.close()
        browser = Client()
        browser.force_login(User.objects.get(username="alice"))
        with override_settings(HERALD_URL=down, HERALD_TIMEOUT=0.2):
            with self.assertLogs("herald_client", "WARNING") as logged:
                response = browser.post("/announce/", {"text": "lost"})
        self.assertEqual(response.status_code, 200)
        self.assertIn("not published", logged.output[0])

    def test_the_feed_tag_renders_herald_s_newest_id_or_renders_without_it(self):
        from django.template import Context, Template
        from django.test import override_settings

        page = Template("{% load herald %}{% herald_feed 'user-1' 'ops' %}{% herald_feed 'x' %}")
        newest = self.publish("newest")
        html = page.render(Context())
        self.assertIn('data-topics="[&quot;user-1&quot;, &quot;ops&quot;]"', html)
        self.assertIn('data-after="%d"' % newest, html)
        self.assertIn('data-herald="%s/herald.js"' % self.herald.url, html)
        self.assertEqual(html.count("<script"), 1, "one loader for two feeds")
        closed = socket.create_server(("127.0.0.1", 0))
        down = "http://127.0.0.1:%d" % closed.getsockname()[1]
        closed.close()
        with override_settings(HERALD_URL=down, HERALD_PUBLIC_URL="https://intranet/herald"):
            html = page.render(Context())
        self.assertIn('data-after=""', html, "herald down: the page still renders")
        self.assertIn('data-herald="https://intranet/herald/herald.js"', html)

    def test_set_state_on_commit_sets_after_the_commit_and_never_after_a_rollback(self):
        from django.db import transaction

        from herald_client.django import delete_state_on_commit, set_state_on_commit

        topic = self.topic_of("alice")
        alice = self.stream(self.login("alice"), "state=1")
        self.assertEqual(alice.next_event()["event"], "herald-state", "nothing held yet")
        with transaction.atomic():
            set_state_on_commit("export", "running", topic=topic, ttl=600)
        try:
            with transaction.atomic():
                set_state_on_commit("export", "rolled back", topic=topic)
                delete_state_on_commit("export", topic=topic)
                raise RuntimeError("the view failed")
        except RuntimeError:
            pass
        set_event = alice.next_event()
        self.assertEqual((set_event["key"], set_event["data"]), ("export", "running"))
        from herald_client.django.conf import client

        values = client().get_state(topic)["values"]
        self.assertEqual([(v["key"], v["data"]) for v in values], [("export", "running")])
        with transaction.atomic():
            delete_state_on_commit("export", topic=topic)
        self.assertEqual(alice.next_event()["event"], "herald-delete")
        self.assertEqual(client().get_state(topic)["values"], [])

    def test_the_state_tag_renders_the_current_values_and_where_to_go_on(self):
        from django.template import Context, Template
        from django.test import override_settings

        from herald_client.django.conf import client

        client().set_state("main", "<b>passing</b>", topic="builds")
        client().set_state("dev", "failing", topic="builds")
        newest = client().set_state("other", "not shown", topic="elsewhere")
        page = Template("{% load herald %}{% herald_state 'builds' %}{% herald_feed 'builds' %}")
        html = page.render(Context())
        self.assertIn('data-after="%d"' % newest, html)
        self.assertIn('<span class="herald-key">main</span> <span class="herald-value">'
                      "&lt;b&gt;passing&lt;/b&gt;</span>", html, "rendered, as text")
        self.assertIn('<span class="herald-key">dev</span>', html)
        self.assertNotIn("not shown", html)
        self.assertEqual(html.count("<script"), 1, "one loader for the values and the feed")
        closed = socket.create_server(("127.0.0.1", 0))
        down = "http://127.0.0.1:%d" % closed.getsockname()[1]
        closed.close()
        with override_settings(HERALD_URL=down):
            html = page.render(Context())
        self.assertIn('class="herald-values"', html, "herald down: the page still renders")
        self.assertIn('data-after=""', html)

    def test_the_presence_tag_renders_who_is_here_as_text(self):
        from django.template import Context, Template
        from django.test import override_settings

        alice = self.stream(self.login("alice"), "topic=lobby")
        alice_again = self.stream(self.login("alice"), "topic=lobby")
        bob = self.stream(self.login("bob"), "topic=lobby&presence=1")
        # An earlier test's streams (which carry the lobby too) may still be
        # leaving: wait, within the read timeout, for the list herald sends.
        while True:
            people = json.loads(bob.next_event()["data"])
            self.assertEqual(people["topic"], "lobby")
            counts = {person["user"]: person["connections"] for person in people["users"]}
            if counts == {"alice": 2, "bob": 1}:
                break
        page = Template("{% load herald %}{% herald_presence 'lobby' %}")
        html = page.render(Context())
        self.assertIn('<li data-connections="2">alice</li>', html, "two tabs, one person")
        self.assertIn('<li data-connections="1">bob</li>', html)
        self.assertIn('data-topic="lobby"', html)
        self.assertEqual(html.count("<script"), 1)
        for stream in (alice, alice_again):
            stream.close()
        closed = socket.create_server(("127.0.0.1", 0))
        down = "http://127.0.0.1:%d" % closed.getsockname()[1]
        closed.close()
        with override_settings(HERALD_URL=down):
            html = page.render(Context())
        self.assertIn('class="herald-presence"', html, "herald down: the page still renders")

    def test_the_hook_view_answers_only_herald_s_question(self):
        from django.test import Client

        browser = Client(enforce_csrf_checks=True)
        self.assertEqual(browser.get("/herald/auth").status_code, 405)
        garbage = browser.post("/herald/auth", "not json", content_type="application/json")
        self.assertEqual(garbage.status_code, 400)
        anonymous = browser.post(
            "/herald/auth", '{"action":"listen","topics":[]}', content_type="application/json"
        )
        self.assertEqual(anonymous.status_code, 401, "CSRF-exempt, and refuses the anonymous")


if __name__ == "__main__":
    unittest.main()
