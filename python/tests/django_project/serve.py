"""Serves the demo project for a browser test: migrates a fresh database,
makes the users alice (staff) and bob (password "pw-NAME"), then serves
with the standard library's threaded WSGI server on 127.0.0.1:PORT
(0: any free port) and says where: "django listening on http://…"."""

import os
import pathlib
import sys
import tempfile
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
os.environ.setdefault("DEMO_DATABASE", os.path.join(tempfile.mkdtemp(), "demo.sqlite3"))

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def main():
    call_command("migrate", verbosity=0, interactive=False)
    User.objects.create_user("alice", password="pw-alice", is_staff=True)
    User.objects.create_user("bob", password="pw-bob")
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = make_server(
        "127.0.0.1", port, get_wsgi_application(), server_class=ThreadingServer, handler_class=Quiet
    )
    print("django listening on http://127.0.0.1:%d" % server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
