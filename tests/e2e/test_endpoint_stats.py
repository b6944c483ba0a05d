"""GET /api/v1/workspaces/{ws}/online-endpoints/{name}/stats: the studio's last-hour charts.
Counting scored requests is covered by the studio's browser test (web/e2e/workloads.e2e.mjs),
which runs a real scoring instance; here the shape, the bad inputs and the permission."""

from __future__ import annotations

import requests

from conftest import assert_error


def ep(url: str, name: str = "") -> str:
    base = f"{url}/api/v1/workspaces/default/online-endpoints"
    return f"{base}/{name}" if name else base


def test_stats_of_an_endpoint_without_requests(server):
    r = requests.post(ep(server.url), json={"name": "stats-ep"}, timeout=10)
    assert r.status_code == 200, r.text
    try:
        r = requests.get(f"{ep(server.url, 'stats-ep')}/stats", timeout=10)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body == {"endpoint": "stats-ep", "bucket_seconds": 60, "minutes": 60,
                        "deployments": []}
        r = requests.get(f"{ep(server.url, 'stats-ep')}/stats", params={"minutes": 5}, timeout=10)
        assert r.json()["minutes"] == 5
    finally:
        requests.delete(ep(server.url, "stats-ep"), timeout=30)


def test_bad_stats_requests(server):
    requests.post(ep(server.url), json={"name": "stats-bad"}, timeout=10)
    try:
        for minutes in ("0", "61", "-1", "abc", "1.5", ""):
            r = requests.get(f"{ep(server.url, 'stats-bad')}/stats", params={"minutes": minutes},
                             timeout=10)
            assert_error(r, 400, ("INVALID_PARAMETER_VALUE", "BAD_REQUEST"), "minutes")
        assert_error(requests.get(f"{ep(server.url, 'no-such-ep')}/stats", timeout=10), 404,
                     ("RESOURCE_DOES_NOT_EXIST",), "no-such-ep")
    finally:
        requests.delete(ep(server.url, "stats-bad"), timeout=30)
