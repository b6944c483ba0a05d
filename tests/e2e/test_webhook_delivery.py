"""Webhook delivery: registry events reach an allowed receiver in MLflow 3's wire format (payload,
X-MLflow-* headers, HMAC-SHA256 signature), are retried on 5xx, the test route sends MLflow's
example payload, and a host that is not on the allow-list is never contacted."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import queue
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from conftest import Api, unique

SECRET = "wh-s3cret-value"
WAIT_S = 60  # generous for a busy CI box; the test returns as soon as the event arrives


class Receiver:
    """A local HTTP endpoint recording every request; answers `statuses` in turn, then 200."""

    def __init__(self, statuses=()):
        self.requests: queue.Queue = queue.Queue()
        self.statuses = list(statuses)
        rec = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                rec.requests.put({"path": self.path, "headers": dict(self.headers),
                                  "body": body.decode()})
                status = rec.statuses.pop(0) if rec.statuses else 200
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"received")

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def next(self) -> dict:
        return self.requests.get(timeout=WAIT_S)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def check_signature(req: dict, secret: str) -> dict:
    h = req["headers"]
    assert h["Content-Type"] == "application/json"
    delivery_id, ts = h["X-MLflow-Delivery-Id"], h["X-MLflow-Timestamp"]
    signed = f"{delivery_id}.{ts}.{req['body']}".encode()
    expected = "v1," + base64.b64encode(hmac.new(secret.encode(), signed,
                                                 hashlib.sha256).digest()).decode()
    assert h["X-MLflow-Signature"] == expected
    payload = json.loads(req["body"])
    datetime.fromisoformat(payload["timestamp"])
    assert abs(int(ts) - datetime.fromisoformat(payload["timestamp"]).timestamp()) < 120
    return payload


@pytest.fixture
def receivers():
    made = []

    def make(statuses=()):
        r = Receiver(statuses)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


@pytest.fixture
def hooked(spawn):
    srv = spawn(env={"MLWS_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1", "MLWS_WEBHOOK_BACKOFF_MS": "20",
                     "MLWS_WEBHOOK_TIMEOUT_SECONDS": "10"})
    return srv, Api(srv.url)


def make_hook(api, url, events, secret=SECRET):
    body = {"name": unique("hook"), "url": url, "events": events}
    if secret:
        body["secret"] = secret
    return api.ok(api.post("/webhooks", body))["webhook"]["webhook_id"]


def test_registry_events_are_delivered_signed_and_retried(hooked, receivers):
    srv, api = hooked
    good, banned = receivers([503]), receivers()
    mv_created = {"entity": "MODEL_VERSION", "action": "CREATED"}
    alias_set = {"entity": "MODEL_VERSION_ALIAS", "action": "CREATED"}
    # Created first, so if it were delivered it would be sent before the allowed one's events.
    make_hook(api, f"http://localhost:{banned.port}/hook", [mv_created, alias_set])
    make_hook(api, f"http://127.0.0.1:{good.port}/hook?k=1", [mv_created, alias_set])
    name = unique("whmodel")
    api.ok(api.post("/registered-models/create", {"name": name}))
    api.ok(api.post("/model-versions/create", {"name": name, "source": "s3://b/m",
                                                "tags": [{"key": "t", "value": "v"}]}))
    first = good.next()  # answered 503: retried with the same delivery
    again = good.next()
    assert again["headers"]["X-MLflow-Delivery-Id"] == first["headers"]["X-MLflow-Delivery-Id"]
    assert again["body"] == first["body"]
    assert again["path"] == "/hook?k=1"
    payload = check_signature(again, SECRET)
    assert payload["entity"] == "model_version" and payload["action"] == "created"
    assert payload["data"] == {"name": name, "version": "1", "source": "s3://b/m",
                               "run_id": None, "tags": {"t": "v"}, "description": None}

    api.ok(api.post("/registered-models/alias", {"name": name, "alias": "champion",
                                                 "version": "1"}))
    payload = check_signature(good.next(), SECRET)
    assert (payload["entity"], payload["action"]) == ("model_version_alias", "created")
    assert payload["data"] == {"name": name, "alias": "champion", "version": "1"}
    # One delivery thread, in order: the banned host would have had its requests by now.
    assert banned.requests.empty()
    # The counter moves once the receiver's answer is read: wait for it.
    deadline = time.monotonic() + WAIT_S
    while "mlws_webhook_deliveries_total 2" not in (
            metrics := requests.get(srv.url + "/metrics", timeout=30).text):
        assert time.monotonic() < deadline, metrics
        time.sleep(0.05)
    assert "mlws_webhook_dropped_total 0" in metrics
    assert SECRET not in srv.stderr()


def test_prompt_events_and_unsubscribed_events(hooked, receivers):
    _, api = hooked
    rec = receivers()
    make_hook(api, f"http://127.0.0.1:{rec.port}/p", [{"entity": "PROMPT", "action": "CREATED"},
                                                      {"entity": "PROMPT_TAG", "action": "SET"}],
              secret=None)
    plain = unique("plain")
    api.ok(api.post("/registered-models/create", {"name": plain}))  # not subscribed: no event
    api.ok(api.post("/registered-models/set-tag", {"name": plain, "key": "k", "value": "v"}))
    prompt = unique("prompt")
    api.ok(api.post("/registered-models/create", {
        "name": prompt, "description": "d",
        "tags": [{"key": "mlflow.prompt.is_prompt", "value": "true"}, {"key": "team", "value": "a"}]}))
    req = rec.next()
    assert "X-MLflow-Signature" not in req["headers"]
    payload = json.loads(req["body"])
    assert (payload["entity"], payload["action"]) == ("prompt", "created")
    assert payload["data"] == {"name": prompt, "tags": {"team": "a"}, "description": "d"}
    api.ok(api.post("/registered-models/set-tag", {"name": prompt, "key": "k", "value": "v"}))
    payload = json.loads(rec.next()["body"])
    assert (payload["entity"], payload["action"]) == ("prompt_tag", "set")
    assert payload["data"] == {"name": prompt, "key": "k", "value": "v"}
    assert rec.requests.empty()


def test_test_route_sends_the_example_payload(hooked, receivers):
    _, api = hooked
    rec, banned = receivers(), receivers()
    hook = make_hook(api, f"http://127.0.0.1:{rec.port}/t",
                     [{"entity": "REGISTERED_MODEL", "action": "CREATED"}])
    result = api.ok(api.post(f"/webhooks/{hook}/test", {}))["result"]
    assert result == {"success": True, "response_status": 200, "response_body": "received"}
    payload = check_signature(rec.next(), SECRET)
    assert payload["data"] == {"name": "example_model", "tags": {"example_key": "example_value"},
                               "description": "An example registered model"}
    result = api.ok(api.post(f"/webhooks/{hook}/test", {
        "event": {"entity": "MODEL_VERSION_TAG", "action": "DELETED"}}))["result"]
    assert result["success"] is True
    payload = check_signature(rec.next(), SECRET)
    assert payload["data"] == {"name": "example_model", "version": "1", "key": "example_key"}

    other = make_hook(api, f"http://localhost:{banned.port}/t",
                      [{"entity": "REGISTERED_MODEL", "action": "CREATED"}])
    result = api.ok(api.post(f"/webhooks/{other}/test", {}))["result"]
    assert result["success"] is False and "localhost" in result["error_message"]
    assert banned.requests.empty()  # the test route answers only after sending (or not)
