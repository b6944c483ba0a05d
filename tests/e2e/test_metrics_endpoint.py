"""GET /metrics: Prometheus text format, labelled by route pattern, never by raw path."""

import re
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from conftest import Api


def sample(text, name, **labels):
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(f"{name}{{{want}}} "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_counts_and_latency_by_route(api):
    text0 = requests.get(api.url + "/metrics", timeout=30).text
    n0 = sample(text0, "mlws_http_requests_total", method="POST",
                route="/api/2.0/mlflow/experiments/create", status="200")
    for i in range(3):
        api.create_experiment()
    run = api.create_run()
    api.get_run(run)
    # A request is counted when its response has been written, which the server finishes a
    # moment after the client has read it: wait for that (the event), not for a fixed time.
    deadline = time.monotonic() + 30
    while True:
        r = requests.get(api.url + "/metrics", timeout=30)
        assert r.status_code == 200
        text = r.text
        if sample(text, "mlws_http_request_duration_seconds_count", method="GET",
                  route="/api/2.0/mlflow/runs/get") >= 1 or time.monotonic() > deadline:
            break
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert sample(text, "mlws_http_requests_total", method="POST",
                  route="/api/2.0/mlflow/experiments/create", status="200") == n0 + 3
    # The run id never becomes a label: labels come from the route table.
    assert run not in text
    count = sample(text, "mlws_http_request_duration_seconds_count", method="GET",
                   route="/api/2.0/mlflow/runs/get")
    inf = sample(text, "mlws_http_request_duration_seconds_bucket", method="GET",
                 route="/api/2.0/mlflow/runs/get", le="+Inf")
    assert count >= 1 and inf == count
    assert re.search(r"^mlws_resident_memory_bytes \d+$", text, re.M)
    assert re.search(r"^mlws_uptime_seconds [\d.]+$", text, re.M)


def test_group_commit_sizes(api):
    """Every committed write lands in one group of the size histogram."""
    def group_series(text):
        buckets = {}
        for m in re.finditer(r'^mlws_store_write_group_size_bucket\{le="([^"]+)"\} (\d+)$', text,
                             re.M):
            buckets[m.group(1)] = int(m.group(2))
        def plain(name):
            m = re.search(rf"^{name} (\d+)$", text, re.M)
            return int(m.group(1)) if m else None
        return (buckets, plain("mlws_store_write_group_size_sum"),
                plain("mlws_store_write_group_size_count"))

    b0, sum0, count0 = group_series(requests.get(api.url + "/metrics", timeout=30).text)
    assert list(b0) == ["1", "2", "4", "8", "16", "32", "64", "128", "256", "+Inf"]
    exp = api.create_experiment()
    # Concurrent creates: 8 clients (a session each), 5 runs each; each is one committed write.
    def client(_):
        own = Api(api.url)
        return [own.create_run(exp) for _ in range(5)]

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(client, range(8)))
    b1, sum1, count1 = group_series(requests.get(api.url + "/metrics", timeout=30).text)
    assert sum1 - sum0 >= 41  # the experiment and the 40 runs
    assert 1 <= count1 - count0 <= sum1 - sum0
    values = list(b1.values())
    assert values == sorted(values) and b1["+Inf"] == count1  # cumulative
    assert re.search(r"^mlws_store_write_commit_seconds_total [\d.e+-]+$",
                     requests.get(api.url + "/metrics", timeout=30).text, re.M)
