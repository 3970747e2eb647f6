"""The client against the real herald binary: ids, idempotent retries, the
cursor for a gap-free page, refusals, and the version kept in step."""

import pathlib
import re
import unittest

import herald_client
from support import Herald, Stream

ROOT = pathlib.Path(__file__).resolve().parents[2]


class AgainstHerald(unittest.TestCase):
    def setUp(self):
        self.herald = Herald("--publish-token", "s3cret")
        self.addCleanup(self.herald.stop)
        self.client = herald_client.Client(url=self.herald.url, token="s3cret")

    def test_a_publish_reaches_a_subscriber_with_its_id_type_topic_and_time(self):
        stream = Stream(self.herald)
        self.addCleanup(stream.close)
        event_id = self.client.publish("disk 91% full", topic="ops", event="alert")
        event = stream.next_event()
        self.assertRegex(event.pop("time"), r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual(
            event, {"id": str(event_id), "event": "alert", "topic": "ops", "data": "disk 91% full"}
        )

    def test_the_same_idempotency_key_publishes_once(self):
        stream = Stream(self.herald)
        self.addCleanup(stream.close)
        first = self.client.publish("report ready", idempotency_key="job-7")
        again = self.client.publish("report ready", idempotency_key="job-7")
        self.assertEqual(first, again)
        self.client.publish("end")
        self.assertEqual([e["data"] for e in stream.events_until("end")], ["report ready", "end"])

    def test_last_id_is_the_newest_event(self):
        self.assertIsNone(self.client.last_id())
        newest = self.client.publish("one")
        self.assertEqual(self.client.last_id(), newest)

    def test_a_wrong_token_raises_with_herald_s_reason(self):
        with self.assertRaises(herald_client.HeraldError) as caught:
            herald_client.publish("x", url=self.herald.url, token="wrong")
        self.assertEqual((caught.exception.status, caught.exception.reason), (403, "wrong token"))

    def test_set_state_is_what_a_new_stream_and_get_state_start_from(self):
        first = self.client.set_state("main", "passing", topic="builds", ttl=600)
        second = self.client.set_state("dev", "failing", topic="builds", event="status")
        self.client.set_state("prod", "v1", topic="deploys")
        state = self.client.get_state("builds")
        self.assertEqual(state["last_id"], self.client.last_id())
        self.assertEqual(
            [(v["key"], v["id"], v["data"], v["event"]) for v in state["values"]],
            [("main", first, "passing", None), ("dev", second, "failing", "status")],
        )
        self.assertEqual(len(herald_client.get_state(url=self.herald.url)["values"]), 3)
        self.assertEqual(len(self.client.get_state(["builds", "deploys"])["values"]), 3)
        stream = Stream(self.herald, "state=1&topic=builds")
        self.addCleanup(stream.close)
        snapshot = [stream.next_event() for _ in range(3)]
        self.assertEqual([e.get("key") for e in snapshot], ["main", "dev", None])
        self.assertEqual(snapshot[2]["event"], "herald-state")
        deleted = self.client.delete_state("dev", topic="builds")
        delete = stream.next_event()
        self.assertEqual(
            (int(delete["id"]), delete["event"], delete["key"], delete["data"]),
            (deleted, "herald-delete", "dev", '{"topic":"builds","key":"dev"}'),
        )
        self.assertEqual([v["key"] for v in self.client.get_state("builds")["values"]], ["main"])

    def test_presence_counts_the_listeners_of_a_topic(self):
        streams = [Stream(self.herald, "topic=room") for _ in range(2)]
        for stream in streams:
            self.addCleanup(stream.close)
        room = herald_client.presence("room", url=self.herald.url)
        self.assertEqual(room, {"topic": "room", "users": [], "more": 0, "anonymous": 2})
        both = self.client.presence(["room", "hall"])
        self.assertEqual([(p["topic"], p["anonymous"]) for p in both], [("room", 2), ("hall", 0)])
        with self.assertRaises(ValueError):
            self.client.presence([])

    def test_a_new_key_past_the_bound_raises_507_and_an_update_passes(self):
        small = Herald("--state-keys", "1")
        self.addCleanup(small.stop)
        client = herald_client.Client(url=small.url)
        client.set_state("a", "1", topic="t")
        with self.assertRaises(herald_client.HeraldError) as caught:
            client.set_state("b", "1", topic="t")
        self.assertEqual(caught.exception.status, 507)
        self.assertIn("--state-keys", caught.exception.reason)
        self.assertGreater(client.set_state("a", "2", topic="t"), 0)

    def test_the_package_and_herald_have_one_version(self):
        cargo = (ROOT / "Cargo.toml").read_text()
        version = re.search(r'^version = "([^"]+)"', cargo, re.M).group(1)
        pyproject = (ROOT / "python" / "pyproject.toml").read_text()
        self.assertEqual(herald_client.__version__, version)
        self.assertIn('version = "%s"' % version, pyproject)


if __name__ == "__main__":
    unittest.main()
