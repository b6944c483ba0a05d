"""Online endpoints through the CLI and over HTTP: specs, keys, scoring instances, traffic,
mirroring, request limits, crashes and restarts, blue -> green updates under load."""

from __future__ import annotations

import glob
import json
import os
import threading

import pytest
import requests

from conftest import MlwsServer, assert_error
from endpoints_util import (create_endpoint, delete_all_endpoints, deployment, ep_url, keys,
                            metric, score, wait_until, write_deployment)
from jobs_util import cli, ok, ok_json


CODES = {400: ("INVALID_PARAMETER_VALUE", "BAD_REQUEST", "RESOURCE_ALREADY_EXISTS"),
         401: ("UNAUTHENTICATED",), 404: ("RESOURCE_DOES_NOT_EXIST",),
         408: ("REQUEST_TIMEOUT",), 429: ("REQUEST_LIMIT_EXCEEDED",)}


def err(resp, status, *parts):
    return assert_error(resp, status, CODES[status], *parts)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("mlws-endpoints")
    srv = MlwsServer(base / "home", log_dir=base)
    srv.start()
    yield srv
    delete_all_endpoints(srv.url)
    srv.stop()


def deploy(srv, spec, *extra):
    return cli(srv.url, "-o", "json", "online-deployment", "create", "-f", str(spec), *extra,
               timeout=300)


def test_endpoint_specs_are_validated_and_bad_ones_change_nothing(server, tmp_path):
    url = server.url
    before = requests.get(ep_url(url), timeout=10).json()["value"]
    for spec, part in [({"name": "x"}, "invalid endpoint name"),
                       ({"name": "good-name", "auth_mode": "basic"}, "auth_mode"),
                       ({"name": "good-name", "traffic": {"blue": 100}}, "'blue'"),
                       ({"name": "good-name", "bogus": 1}, "unknown field 'bogus'"),
                       ({}, "'name' is required")]:
        err(requests.post(ep_url(url), json=spec, timeout=10), 400, part)
    err(requests.post(ep_url(url), data="[1]", timeout=10), 400)
    assert requests.get(ep_url(url), timeout=10).json()["value"] == before
    e = create_endpoint(url, tmp_path, "crud-ep")
    assert e["auth_mode"] == "key" and e["scoring_uri"].endswith("/online-endpoints/crud-ep/score")
    assert "primary_key" not in e
    err(requests.post(ep_url(url), json={"name": "crud-ep"}, timeout=10), 400,
                 "already exists")
    shown = ok_json(cli(url, "-o", "json", "online-endpoint", "show", "-n", "crud-ep"))
    assert shown["name"] == "crud-ep"
    names = [x["name"] for x in ok_json(cli(url, "-o", "json", "online-endpoint", "list"))["value"]]
    assert "crud-ep" in names
    # Traffic over deployments that do not exist, or not summing to 100: refused.
    proc = cli(url, "online-endpoint", "update", "-n", "crud-ep", "--traffic", "blue=100")
    assert proc.returncode == 1 and "does not exist" in proc.stderr, proc.stderr
    ok(cli(url, "online-endpoint", "delete", "-n", "crud-ep", "--yes"))
    err(requests.get(ep_url(url, "crud-ep"), timeout=10), 404, "not found")
    err(score(url, "no-such-ep", {"n": 1}), 404, "not found")


@pytest.fixture(scope="module")
def blue(server, tmp_path_factory):
    """Endpoint echo-ep with deployment blue taking all traffic."""
    tmp = tmp_path_factory.mktemp("blue")
    create_endpoint(server.url, tmp, "echo-ep")
    spec = write_deployment(tmp, "blue", "echo-ep",
                            extra="request_settings:\n  max_concurrent_requests_per_instance: 4\n")
    d = ok_json(deploy(server, spec, "--all-traffic"))
    assert d["provisioning_state"] == "Succeeded", d
    return d


def test_cli_invoke_and_keys(server, blue, tmp_path):
    url = server.url
    req = tmp_path / "req.json"
    req.write_text('{"n": 5}')
    out = json.loads(ok(cli(url, "online-endpoint", "invoke", "-n", "echo-ep",
                            "--request-file", str(req))))
    # AZUREML_MODEL_DIR/model is the model folder the spec named.
    assert out == {"who": "blue", "n": 5, "files": ["weights.txt"]}
    k = json.loads(ok(cli(url, "online-endpoint", "get-credentials", "-n", "echo-ep")))
    assert k["primaryKey"] != k["secondaryKey"]
    r = score(url, "echo-ep", {"n": 1}, key=k["secondaryKey"], headers={"x-request-id": "rid-42"})
    assert r.status_code == 200, r.text
    assert r.headers["x-request-id"] == "rid-42"
    assert r.headers["azureml-model-deployment"] == "blue"
    err(score(url, "echo-ep", {"n": 1}), 401, "keys")
    assert score(url, "echo-ep", {"n": 1}, key="wrong").status_code == 401
    logs = ok(cli(url, "online-deployment", "get-logs", "-n", "blue", "-e", "echo-ep"))
    assert "request rid-42: 200" in logs, logs
    # The studio's charts count the answers of a real instance per deployment and minute.
    stats = requests.get(f"{ep_url(url, 'echo-ep')}/stats", timeout=10).json()
    blue_points = [d for d in stats["deployments"] if d["name"] == "blue"][0]["points"]
    assert sum(p["requests"] for p in blue_points) >= 2, stats
    assert all(p["p50_ms"] <= p["p99_ms"] for p in blue_points if p["requests"]), stats
    # Regenerated: the old primary stops working, the new one works.
    new = json.loads(ok(cli(url, "online-endpoint", "regenerate-keys", "-n", "echo-ep",
                            "--key-type", "primary")))
    assert new["primaryKey"] != k["primaryKey"] and new["secondaryKey"] == k["secondaryKey"]
    assert score(url, "echo-ep", {"n": 1}, key=k["primaryKey"]).status_code == 401
    assert score(url, "echo-ep", {"n": 1}, key=new["primaryKey"]).status_code == 200


def test_run_that_raises_is_a_500_and_the_instance_stays_up(server, blue):
    k = keys(server.url, "echo-ep")["primaryKey"]
    r = score(server.url, "echo-ep", {"raise": "bad row 3"}, key=k)
    assert r.status_code == 500 and "bad row 3" in r.json()["message"], r.text
    assert score(server.url, "echo-ep", {"n": 2}, key=k).json()["n"] == 2


def test_body_over_the_limit_is_413(server, blue):
    k = keys(server.url, "echo-ep")["primaryKey"]
    big = json.dumps({"n": 1, "pad": "x" * (2 * 1024 * 1024)})
    r = score(server.url, "echo-ep", big, key=k, headers={"Content-Type": "application/json"})
    assert r.status_code == 413, r.text


def test_init_failure_fails_the_deployment_with_the_reason(server, blue, tmp_path):
    spec = write_deployment(tmp_path, "broken", "echo-ep", env_vars={"FAIL_INIT": "1"})
    proc = deploy(server, spec)
    assert proc.returncode == 1
    assert "init exploded on purpose" in proc.stderr, proc.stderr
    d = deployment(server.url, "echo-ep", "broken")
    assert d["provisioning_state"] == "Failed" and "init exploded" in d["error"]
    # It cannot take traffic; the endpoint keeps serving from blue.
    r = requests.patch(ep_url(server.url, "echo-ep"), json={"traffic": {"blue": 50, "broken": 50}},
                       timeout=10)
    err(r, 400, "failed to start")
    k = keys(server.url, "echo-ep")["primaryKey"]
    assert score(server.url, "echo-ep", {"n": 1}, key=k).json()["who"] == "blue"
    ok(cli(server.url, "online-deployment", "delete", "-n", "broken", "-e", "echo-ep"))


def test_traffic_split_header_and_mirror(server, blue, tmp_path):
    url = server.url
    spec = write_deployment(tmp_path, "green", "echo-ep")
    assert ok_json(deploy(server, spec))["provisioning_state"] == "Succeeded"
    k = keys(url, "echo-ep")["primaryKey"]
    # Not summing to 100, or mirroring to a deployment with live traffic: refused.
    proc = cli(url, "online-endpoint", "update", "-n", "echo-ep", "--set", "traffic=blue=80 green=10")
    assert proc.returncode == 1 and "sums to 90" in proc.stderr, proc.stderr
    r = requests.patch(ep_url(url, "echo-ep"), json={"traffic": {"blue": 90, "green": 10},
                                                     "mirror_traffic": {"green": 10}}, timeout=10)
    err(r, 400, "takes live traffic")
    ok(cli(url, "online-endpoint", "update", "-n", "echo-ep", "--set", "traffic=blue=90 green=10"))
    counts = {"blue": 0, "green": 0}
    for _ in range(200):
        counts[score(url, "echo-ep", {"n": 1}, key=k).json()["who"]] += 1
    assert counts == {"blue": 180, "green": 20}
    # The header picks a deployment whatever the split; an unknown one is 404.
    assert score(url, "echo-ep", {"n": 1}, key=k, deployment="green").json()["who"] == "green"
    assert score(url, "echo-ep", {"n": 1}, key=k, deployment="nope").status_code == 404
    # Mirror: all live traffic to blue, 20% copied to green (its answers dropped).
    ok(cli(url, "online-endpoint", "update", "-n", "echo-ep", "--traffic", "blue=100 green=0",
           "--mirror-traffic", "green=20"))
    before = metric(url, "mlws_online_mirrored_requests_total", deployment="green")
    for _ in range(50):
        assert score(url, "echo-ep", {"n": 1}, key=k).json()["who"] == "blue"
    wait_until(lambda: metric(url, "mlws_online_mirrored_requests_total",
                              deployment="green") - before == 10, what="10 mirrored requests")
    assert metric(url, "mlws_online_requests_total", deployment="blue", status="200") >= 50
    # A deployment with traffic cannot be deleted.
    proc = cli(url, "online-deployment", "delete", "-n", "blue", "-e", "echo-ep")
    assert proc.returncode == 1 and "traffic" in proc.stderr
    ok(cli(url, "online-endpoint", "update", "-n", "echo-ep", "--traffic", "blue=100",
           "--mirror-traffic", "green=0"))


def instance_dirs(srv, pattern="*"):
    return glob.glob(str(srv.home / "serving" / "i" / pattern / "wd"))


def test_concurrency_limit_429_and_timeout_408(server, tmp_path):
    url = server.url
    create_endpoint(url, tmp_path, "limits-ep")
    spec = write_deployment(tmp_path, "slow", "limits-ep", extra=(
        "request_settings:\n  max_concurrent_requests_per_instance: 1\n"
        "  max_queue_wait_ms: 0\n  request_timeout_ms: 60000\n"))
    ok(deploy(server, spec, "--all-traffic"))
    k = keys(url, "limits-ep")["primaryKey"]
    d = deployment(url, "limits-ep", "slow")
    logs_url = f"{ep_url(url, 'limits-ep')}/deployments/slow/logs"
    held = {}
    t = threading.Thread(target=lambda: held.update(r=score(url, "limits-ep", {"block": 1}, key=k,
                                                            timeout=90)))
    t.start()
    wait_until(lambda: "blocking" in requests.get(logs_url, timeout=10).json()["logs"],
               what="the first request inside run()")
    r = score(url, "limits-ep", {"n": 1}, key=k)
    err(r, 429, "max_concurrent_requests_per_instance")
    # Release the held request: the test writes the file run() waits for.
    for wd in instance_dirs(server):
        open(os.path.join(wd, "release"), "w").close()
    t.join(90)
    assert held["r"].status_code == 200, held["r"].text
    for wd in instance_dirs(server):
        os.unlink(os.path.join(wd, "release"))
    # A request that outlives request_timeout_ms is answered 408.
    spec.write_text(spec.read_text().replace("request_timeout_ms: 60000", "request_timeout_ms: 300")
                    .replace("max_queue_wait_ms: 0", "max_queue_wait_ms: 5000"))
    upd = cli(url, "-o", "json", "online-deployment", "update", "-f", str(spec), timeout=300)
    assert ok_json(upd)["request_settings"]["request_timeout_ms"] == 300
    r = score(url, "limits-ep", {"block": 1}, key=k)
    err(r, 408, "300 ms")
    assert d["name"] == "slow"


def test_crashed_instance_is_restarted(server, blue):
    url = server.url
    k = keys(url, "echo-ep")["primaryKey"]
    restarts = metric(url, "mlws_online_instance_restarts_total", deployment="blue")
    r = score(url, "echo-ep", {"crash": 1}, key=k)
    assert r.status_code == 502, r.text
    wait_until(lambda: metric(url, "mlws_online_instance_restarts_total",
                              deployment="blue") == restarts + 1, what="a restart")
    wait_until(lambda: metric(url, "mlws_online_instances_ready", endpoint="echo-ep",
                              deployment="blue") == 1, what="the restarted instance")
    assert score(url, "echo-ep", {"n": 3}, key=k).json()["n"] == 3


def test_blue_green_update_under_load_fails_no_request(server, blue, tmp_path):
    url = server.url
    k = keys(url, "echo-ep")["primaryKey"]
    stop = threading.Event()
    results = []

    def hammer():
        s = requests.Session()
        while not stop.is_set():
            r = s.post(f"{ep_url(url, 'echo-ep')}/score", json={"n": 1},
                       headers={"Authorization": f"Bearer {k}"}, timeout=30)
            results.append((r.status_code, r.json().get("who") if r.status_code == 200 else r.text))

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        wait_until(lambda: len(results) > 20, what="load")
        spec = write_deployment(tmp_path, "blue", "echo-ep", who="blue-v2", extra=(
            "request_settings:\n  max_concurrent_requests_per_instance: 4\n"))
        d = ok_json(cli(url, "-o", "json", "online-deployment", "update", "-f", str(spec),
                        timeout=300))
        assert d["provisioning_state"] == "Succeeded"
        n = len(results)
        wait_until(lambda: len(results) > n + 20, what="load after the update")
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    failed = [r for r in results if r[0] != 200]
    assert not failed, failed[:5]
    whos = [r[1] for r in results]
    assert whos[0] == "blue" and whos[-1] == "blue-v2"
    assert "blue" not in whos[whos.index("blue-v2"):][-20:]


def stats_totals(url: str, endpoint: str) -> dict:
    r = requests.get(f"{ep_url(url, endpoint)}/stats", timeout=10)
    assert r.status_code == 200, r.text
    out = {}
    for d in r.json()["deployments"]:
        out[d["name"]] = {k: sum(p[k] for p in d["points"])
                          for k in ("requests", "client_errors", "server_errors")}
    return out


def test_instances_and_stats_survive_a_server_restart(tmp_path):
    srv = MlwsServer(tmp_path / "home", log_dir=tmp_path).start()
    try:
        create_endpoint(srv.url, tmp_path, "keep-ep")
        ok(deploy(srv, write_deployment(tmp_path, "blue", "keep-ep"), "--all-traffic"))
        k = keys(srv.url, "keep-ep")["primaryKey"]
        assert score(srv.url, "keep-ep", {"n": 1}, key=k).status_code == 200
        assert score(srv.url, "keep-ep", {"raise": "no"}, key=k).status_code == 500
        before = {"blue": {"requests": 2, "client_errors": 0, "server_errors": 1}}
        assert stats_totals(srv.url, "keep-ep") == before
        pid_files = instance_dirs(srv)
        assert len(pid_files) == 1
        srv.stop()
        srv.start()
        # The charts' last hour was stored on shutdown and is back before any new request.
        assert stats_totals(srv.url, "keep-ep") == before
        wait_until(lambda: metric(srv.url, "mlws_online_instances_ready",
                                  endpoint="keep-ep") == 1, what="the adopted instance")
        assert score(srv.url, "keep-ep", {"n": 2}, key=k).json()["n"] == 2
        assert stats_totals(srv.url, "keep-ep")["blue"]["requests"] == 3
        # The same instance (not a new one) answers: no restart was counted.
        assert metric(srv.url, "mlws_online_instance_restarts_total", endpoint="keep-ep") == 0
        # A deleted deployment's stored stats go with it: a new one of that name starts at 0.
        ok(cli(srv.url, "online-endpoint", "update", "-n", "keep-ep", "--traffic", "blue=0"))
        ok(cli(srv.url, "online-deployment", "delete", "-n", "blue", "-e", "keep-ep"))
        srv.stop()
        srv.start()
        assert stats_totals(srv.url, "keep-ep") == {}
    finally:
        delete_all_endpoints(srv.url)
        srv.stop()


def test_a_deep_home_longer_than_a_socket_path_still_scores(tmp_path):
    """An instance's socket is <home>/serving/i/<id>/wd/s.sock: a home deep enough to make that
    longer than AF_UNIX's 108 bytes still deploys and scores (through the folder's
    descriptor)."""
    home = tmp_path / ("deep-home-" + "d" * 100)
    srv = MlwsServer(home, log_dir=tmp_path).start()
    try:
        create_endpoint(srv.url, tmp_path, "deep-ep")
        d = ok_json(deploy(srv, write_deployment(tmp_path, "blue", "deep-ep"), "--all-traffic"))
        assert d["provisioning_state"] == "Succeeded", d
        sockets = glob.glob(str(home / "serving" / "i" / "*" / "wd" / "s.sock"))
        assert sockets and len(os.fsencode(sockets[0])) > 108, sockets
        r = score(srv.url, "deep-ep", {"n": 7}, key=keys(srv.url, "deep-ep")["primaryKey"])
        assert r.status_code == 200, r.text
        assert r.json()["n"] == 7
    finally:
        delete_all_endpoints(srv.url)
        srv.stop()


def test_aml_token_endpoint_takes_tokens_not_keys(tmp_path):
    token = ""
    srv = MlwsServer(tmp_path / "home", log_dir=tmp_path).start()
    try:
        admin = {"Authorization": "Basic " + __import__("base64").b64encode(
            b"alice:alice password 1").decode()}
        r = requests.post(f"{srv.url}/api/v1/users",
                          json={"name": "alice", "password": "alice password 1"}, timeout=10)
        assert r.status_code == 201, r.text
        r = requests.post(f"{srv.url}/api/v1/tokens", json={"name": "t"}, headers=admin, timeout=10)
        assert r.status_code in (200, 201), r.text
        token = r.json()["secret"]
        env = {"MLWS_TOKEN": token}
        spec = tmp_path / "ep.yml"
        spec.write_text("name: token-ep\nauth_mode: aml_token\n")
        ok(cli(srv.url, "online-endpoint", "create", "-f", str(spec), env=env))
        ok(cli(srv.url, "online-deployment", "create", "-f",
               str(write_deployment(tmp_path, "blue", "token-ep")), "--all-traffic", env=env,
               timeout=300))
        assert score(srv.url, "token-ep", {"n": 1}).status_code == 401
        assert score(srv.url, "token-ep", {"n": 1}, key="not-a-token").status_code == 401
        assert score(srv.url, "token-ep", {"n": 1}, key=token).json()["n"] == 1
        req = tmp_path / "r.json"
        req.write_text('{"n": 9}')
        out = ok(cli(srv.url, "online-endpoint", "invoke", "-n", "token-ep", "--request-file",
                     str(req), env=env))
        assert json.loads(out)["n"] == 9
    finally:
        delete_all_endpoints(srv.url, headers={"Authorization": f"Bearer {token}"})
        srv.stop()


def test_sample_with_curated_environment_unmodified(server, tmp_path):
    """The Azure ML sample (endpoint.yml, blue and green with the curated sklearn environment)
    with the score.py its README describes, through the CLI."""
    if os.environ.get("MLWS_SKIP_ENV_BUILD"):
        pytest.skip("MLWS_SKIP_ENV_BUILD set: the curated environment needs PyPI")
    import shutil
    from endpoints_util import ONLINE, SAMPLE_SCORE
    root = tmp_path / "online"
    shutil.copytree(ONLINE, root)
    for m in ("model-1", "model-2"):
        (root / m / "onlinescoring").mkdir()
        (root / m / "onlinescoring" / "score.py").write_text(SAMPLE_SCORE)
    sample = root / "managed" / "sample"
    url = server.url
    ok(cli(url, "online-endpoint", "create", "-f", str(sample / "endpoint.yml")))
    proc = cli(url, "-o", "json", "online-deployment", "create", "-f",
               str(sample / "blue-deployment-with-curated-env.yml"), "--all-traffic", timeout=1200)
    assert ok_json(proc)["provisioning_state"] == "Succeeded"
    out = json.loads(ok(cli(url, "online-endpoint", "invoke", "-n", "my-endpoint",
                            "--request-file", str(sample / "sample-request.json"))))
    assert len(out) == 2 and all(isinstance(v, float) for v in out)
    ok(cli(url, "online-deployment", "create", "-f",
           str(sample / "green-deployment-with-curated-env.yml"), timeout=1200))
    ok(cli(url, "online-endpoint", "update", "-n", "my-endpoint", "--set",
           "traffic=blue=90 green=10"))
    green = json.loads(ok(cli(url, "online-endpoint", "invoke", "-n", "my-endpoint",
                              "--request-file", str(sample / "sample-request.json"),
                              "--deployment-name", "green")))
    assert green == out  # the sample's model-2 is the same file as model-1
    k = keys(url, "my-endpoint")["primaryKey"]
    body = json.loads((sample / "sample-request.json").read_text())
    r = score(url, "my-endpoint", body, key=k, deployment="green")
    assert r.status_code == 200 and r.headers["azureml-model-deployment"] == "green", r.text


# A pyfunc model needing no ML library: MLflow imports `loader_module` from the model's code/
# folder; predict() answers 10 * a + b for each row. Its signature names the columns a and b.
NO_CODE_MLMODEL = """artifact_path: model
flavors:
  python_function:
    loader_module: tens_model
    code: code
    python_version: 3.11.7
signature:
  inputs: '[{"name": "a", "type": "long"}, {"name": "b", "type": "long"}]'
  outputs: '[{"type": "long"}]'
"""
NO_CODE_LOADER = """
class TensModel:
    def predict(self, frame, params=None):
        return (frame["a"] * 10 + frame["b"]).tolist()

def _load_pyfunc(path):
    return TensModel()
"""


def test_no_code_mlflow_deployment_takes_every_input_form(server, tmp_path):
    """An mlflow_model without a scoring script, served through pyfunc with its signature, in
    the curated environment (built by the sample test before, or now)."""
    if os.environ.get("MLWS_SKIP_ENV_BUILD"):
        pytest.skip("MLWS_SKIP_ENV_BUILD set: the curated environment needs PyPI")
    url = server.url
    model = tmp_path / "tens" / "model"
    (model / "code").mkdir(parents=True)
    (model / "MLmodel").write_text(NO_CODE_MLMODEL)
    (model / "code" / "tens_model.py").write_text(NO_CODE_LOADER)
    create_endpoint(url, tmp_path, "nocode-ep")
    spec = tmp_path / "tens" / "deployment.yml"
    spec.write_text("name: pyfunc\nendpoint_name: nocode-ep\nmodel:\n  path: model\n"
                    "  type: mlflow_model\nenvironment: "
                    "azureml://registries/azureml/environments/sklearn-1.5/labels/latest\n")
    d = ok_json(cli(url, "-o", "json", "online-deployment", "create", "-f", str(spec),
                    "--all-traffic", timeout=1200))
    assert d["provisioning_state"] == "Succeeded" and d["model_type"] == "mlflow_model", d
    k = keys(url, "nocode-ep")["primaryKey"]
    forms = [
        {"input_data": {"columns": ["a", "b"], "index": [0, 1], "data": [[1, 2], [3, 4]]}},
        {"input_data": [[1, 2], [3, 4]]},  # columns from the signature
        {"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2], [3, 4]]}},
        {"dataframe_records": [{"a": 1, "b": 2}, {"a": 3, "b": 4}]},
        {"instances": [{"a": 1, "b": 2}, {"a": 3, "b": 4}]},
        {"inputs": {"a": [1, 3], "b": [2, 4]}},
    ]
    for body in forms:
        r = score(url, "nocode-ep", body, key=k, headers={"x-request-id": "nocode-1"})
        assert r.status_code == 200 and r.json() == [12, 34], (body, r.status_code, r.text)
    r = score(url, "nocode-ep", {"data": [[1, 2]]}, key=k)
    assert r.status_code == 500 and "exactly one of" in r.json()["message"], r.text
    r = score(url, "nocode-ep", {"dataframe_records": [{"a": 1}]}, key=k)
    assert r.status_code == 500 and "missing inputs" in r.json()["message"], r.text  # signature
    logs = ok(cli(url, "online-deployment", "get-logs", "-n", "pyfunc", "-e", "nocode-ep"))
    assert "request nocode-1: 200" in logs, logs
    ok(cli(url, "online-endpoint", "delete", "-n", "nocode-ep", "--yes"))
