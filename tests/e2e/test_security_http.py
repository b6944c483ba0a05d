"""Attacks on the HTTP front door over real sockets, each shown to fail safely.

Slow clients (silent sockets, idle keep-alives, trickled headers and bodies), connection floods,
bodies sent before authentication, cross-site requests, made-up methods in /metrics, request
smuggling through Transfer-Encoding, weak TLS suites and missing browser-safety headers.
Servers here run with short deadlines (server flags) so the slow-client attacks end fast; the
tests wait for the server to close the socket, with a generous upper bound.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import ssl
import time

import pytest
import requests

from conftest import ML, unique

PASSWORD = "correct horse battery staple"
FAST = ["--header-timeout", "1", "--idle-timeout", "2", "--body-timeout", "1",
        "--min-body-rate", "1000", "--write-timeout", "2"]
CLOSE_BOUND_S = 30  # generous: the deadlines above are 1-2 s


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def connect(port: int, timeout: float = CLOSE_BOUND_S) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def read_until_closed(s: socket.socket, bound: float = CLOSE_BOUND_S) -> bytes:
    """Everything the server sends until it closes the connection; fails after `bound` s."""
    s.settimeout(bound)
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            return data
        except socket.timeout:
            pytest.fail(f"the server kept the connection open for {bound} s; got {data[:200]!r}")
        if not chunk:
            return data
        data += chunk


def read_response(s: socket.socket) -> tuple[int, dict, bytes]:
    """One HTTP/1.1 response with a Content-Length body (what the server sends)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    n = int(headers.get("content-length", "0"))
    while len(rest) < n:
        chunk = s.recv(65536)
        assert chunk
        rest += chunk
    return status, headers, rest[:n]


def experiment_exists(url: str, name: str) -> bool:
    r = requests.get(url + ML + "/experiments/get-by-name", params={"experiment_name": name},
                     timeout=30)
    return r.status_code == 200


def burst_of_creates(port: int, n: int) -> list[tuple[str, tuple[int, dict, bytes]]]:
    """n experiment creates sent at once on n connections; (name, answer) for each."""
    names = [unique("burst") for _ in range(n)]
    socks = [connect(port) for _ in names]
    for s, name in zip(socks, names):
        body = json.dumps({"name": name})
        s.sendall(f"POST {ML}/experiments/create HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                  f"{body}".encode())
    answers = [read_response(s) for s in socks]
    for s in socks:
        s.close()
    return list(zip(names, answers))


@pytest.fixture
def fast(spawn):
    return spawn(extra_args=FAST)


# --- 4: slow clients and floods ---------------------------------------------------------------

def test_silent_socket_is_closed_by_the_header_deadline(fast):
    s = connect(fast.port)
    assert read_until_closed(s) == b""  # closed unanswered by the 1 s header deadline


def test_idle_keep_alive_is_closed(fast):
    s = connect(fast.port)
    s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    status, headers, _ = read_response(s)
    assert status == 200 and headers.get("connection", "").lower() != "close"
    assert read_until_closed(s) == b""  # nothing more sent, then closed by the idle deadline


def test_trickled_header_is_cut_off(fast):
    s = connect(fast.port)
    request = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + b"a" * 200 + b"\r\n\r\n"
    deadline = time.monotonic() + CLOSE_BOUND_S
    closed = False
    for byte in request:  # one byte every 0.2 s: the whole header would take 50 s
        try:
            s.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            closed = True
            break
        s.settimeout(0.2)
        try:
            answer = s.recv(4096)
            if answer == b"" or answer.startswith(b"HTTP/1.1 408"):
                closed = True
                break
        except socket.timeout:
            pass
        except ConnectionResetError:
            closed = True
            break
        assert time.monotonic() < deadline
    assert closed, "a trickled header was served in full"


def test_trickled_body_is_cut_off_and_changes_nothing(fast):
    name = unique("trickle")
    body = json.dumps({"name": name, "pad": "x" * 500}).encode()
    s = connect(fast.port)
    s.sendall(f"POST {ML}/experiments/create HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode())
    answer = b""
    for i in range(len(body)):
        try:
            s.sendall(body[i:i + 1])
        except (BrokenPipeError, ConnectionResetError):
            break
        s.settimeout(0.2)
        try:
            answer = s.recv(4096)
            if answer == b"" or answer.startswith(b"HTTP/1.1"):
                break
        except socket.timeout:
            pass
        except ConnectionResetError:
            break
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert not experiment_exists(fast.url, name)


def test_idle_flood_does_not_lock_out_other_clients(spawn):
    # Long deadlines: what saves the next client here is closing the oldest idle connection.
    srv = spawn(extra_args=["--max-connections", "40", "--header-timeout", "60",
                            "--idle-timeout", "60"])
    hogs = []
    for _ in range(40):
        hogs.append(connect(srv.port))
    # Make sure the server has accepted them all (one request on the last one).
    hogs[-1].sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert read_response(hogs[-1])[0] == 200
    for _ in range(5):
        r = requests.get(srv.url + "/health", timeout=30)
        assert r.status_code == 200
    metrics = requests.get(srv.url + "/metrics", timeout=30).text
    evicted = int(re.search(r"^mlws_http_idle_evictions_total (\d+)", metrics, re.M).group(1))
    assert evicted >= 1
    # The oldest idle connection went first (its own deadline, 60 s, is past the bound).
    assert read_until_closed(hogs[0], bound=CLOSE_BOUND_S) == b""
    for h in hogs:
        h.close()


def test_per_address_cap_refuses_with_503(spawn):
    srv = spawn(extra_args=["--max-connections-per-address", "3", "--header-timeout", "60"])
    # Connections are opened until one is refused. An admitted one stays silent (the header
    # deadline is 60 s) and holds a slot; a refused one gets 503 at once. The readiness probe's
    # connection may still hold a slot, so fewer than 3 may be admitted, never more.
    hogs: list[socket.socket] = []
    refused = None
    deadline = time.monotonic() + CLOSE_BOUND_S
    while refused is None:
        assert time.monotonic() < deadline and len(hogs) <= 3, f"{len(hogs)} admitted, none refused"
        s = connect(srv.port)
        s.settimeout(2)
        try:
            first = s.recv(65536)
        except (TimeoutError, socket.timeout):
            hogs.append(s)  # admitted (or refused slowly: then the next one is refused)
            continue
        data = first + (read_until_closed(s) if first else b"")
        if data.startswith(b"HTTP/1.1 503"):
            refused = data
    assert len(hogs) <= 3
    assert b"Retry-After: 1" in refused
    for h in hogs:
        h.close()
    # Once the hogs are gone, the address is served again.
    deadline = time.monotonic() + CLOSE_BOUND_S
    while True:
        try:
            if requests.get(srv.url + "/health", timeout=5).status_code == 200:
                break
        except requests.RequestException:
            pass
        assert time.monotonic() < deadline
        time.sleep(0.05)


# --- 5: authentication before bodies ---------------------------------------------------------

@pytest.fixture
def signed_in(spawn):
    srv = spawn(extra_args=FAST)
    r = requests.post(srv.url + "/api/v1/users", json={"name": "alice", "password": PASSWORD},
                      timeout=30)
    assert r.status_code == 201, r.text
    return srv


def staged_files(srv) -> list:
    d = srv.home / "artifacts" / ".staging"
    return list(d.iterdir()) if d.exists() else []


def test_anonymous_huge_upload_is_refused_before_its_body(signed_in):
    before = staged_files(signed_in)
    s = connect(signed_in.port)
    s.sendall(b"PUT /api/2.0/mlflow-artifacts/artifacts/0/x/artifacts/big.bin HTTP/1.1\r\n"
              b"Host: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n"
              b"Content-Length: 3000000000\r\n\r\n")
    s.sendall(b"x" * 65536)  # a first piece; the server must not wait for (or keep) the rest
    status, headers, body = read_response(s)
    assert status == 401, body
    assert headers.get("connection", "").lower() == "close"
    assert read_until_closed(s, bound=CLOSE_BOUND_S) is not None
    assert staged_files(signed_in) == before


def test_anonymous_expect_continue_gets_401_and_no_100(signed_in):
    s = connect(signed_in.port)
    s.sendall(f"POST {ML}/experiments/create HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              "Content-Type: application/json\r\nExpect: 100-continue\r\n"
              f"Content-Length: {64 << 20}\r\n\r\n".encode())
    status, _, _ = read_response(s)
    assert status == 401


def test_anonymous_big_json_bodies_do_not_grow_memory(signed_in):
    rss0 = signed_in.rss_kb()
    socks = []
    for _ in range(20):
        s = connect(signed_in.port)
        s.sendall(f"POST {ML}/runs/log-batch HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  f"Content-Type: application/json\r\nContent-Length: {64 << 20}\r\n\r\n".encode())
        s.sendall(b"{" + b" " * (1 << 20))
        socks.append(s)
    for s in socks:
        assert read_response(s)[0] == 401
    assert signed_in.rss_kb() - rss0 < 200 * 1024  # 20 x 64 MiB would be 1.3 GB


def test_anonymous_body_limit_on_public_routes(signed_in):
    r = requests.get(signed_in.url + "/health", data=b"x" * (128 * 1024), timeout=30)
    assert r.status_code == 413
    assert requests.get(signed_in.url + "/health", timeout=30).status_code == 200


def test_signed_in_requests_still_work(signed_in):
    alice = basic("alice", PASSWORD)
    name = unique("ok")
    r = requests.post(signed_in.url + ML + "/experiments/create", json={"name": name},
                      headers=alice, timeout=30)
    assert r.status_code == 200, r.text
    r = requests.put(signed_in.url + "/api/2.0/mlflow-artifacts/artifacts/0/x/artifacts/a.bin",
                     data=b"abc", headers=alice, timeout=30)
    assert r.status_code == 200, r.text


# --- 6: cross-site requests --------------------------------------------------------------------

def jobs(url):
    return f"{url}/api/v1/workspaces/default/jobs"


def test_cross_site_text_plain_post_cannot_create_a_job(server):
    marker = server.home.parent / unique("pwned")
    body = json.dumps({"command": f"touch {marker}"})
    before = requests.get(jobs(server.url), timeout=30).json()
    for headers in [
        {"Content-Type": "text/plain", "Origin": "http://evil.example"},
        {"Content-Type": "text/plain", "Origin": "http://evil.example:5000",
         "Host": "evil.example:5000"},
        {"Content-Type": "text/plain", "Host": "rebound.example"},  # DNS rebinding
        {"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"},
        {"Content-Type": "text/plain", "Origin": server.url},  # own origin, simple type
        {"Content-Type": "application/x-www-form-urlencoded"},
        {"Content-Type": "application/json", "Origin": "null"},
    ]:
        r = requests.post(jobs(server.url), data=body, headers=headers, timeout=30)
        assert r.status_code in (403, 415), (headers, r.status_code, r.text)
        assert r.json()["error_code"], r.text
    assert requests.get(jobs(server.url), timeout=30).json() == before
    assert not marker.exists()
    # The studio's own requests pass.
    r = requests.post(server.url + ML + "/experiments/create", json={"name": unique("studio")},
                      headers={"Origin": server.url, "Sec-Fetch-Site": "same-origin"}, timeout=30)
    assert r.status_code == 200, r.text


def test_query_string_post_changes_nothing(signed_in):
    alice = basic("alice", PASSWORD)
    r = requests.post(signed_in.url + "/api/v1/users",
                      params={"name": "mallory", "password": PASSWORD}, headers=alice, timeout=30)
    assert r.status_code == 400, r.text
    users = requests.get(signed_in.url + "/api/v1/users", headers=alice, timeout=30).json()
    assert "mallory" not in json.dumps(users)
    r = requests.post(signed_in.url + "/api/v1/users", data="name=m&password=p",
                      headers={**alice, "Content-Type": "text/plain"}, timeout=30)
    assert r.status_code == 415


def test_no_basic_challenge_for_browsers(signed_in):
    r = requests.get(signed_in.url + "/api/v1/whoami", timeout=30)
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Basic")
    for h in [{"X-Requested-With": "XMLHttpRequest"}, {"Sec-Fetch-Mode": "cors"},
              {"Origin": signed_in.url}]:
        r = requests.get(signed_in.url + "/api/v1/whoami", headers=h, timeout=30)
        assert r.status_code == 401 and "WWW-Authenticate" not in r.headers, h


# --- 7: metrics labels -----------------------------------------------------------------------

def test_made_up_methods_do_not_grow_metrics(server):
    for i in range(50):
        s = connect(server.port)
        method = f"X{i:03d}" + "M" * 1000
        s.sendall(f"{method} /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        assert read_response(s)[0] == 405
        s.close()
    text = requests.get(server.url + "/metrics", timeout=30).text
    assert "MMMM" not in text
    assert 'method="other"' in text
    assert len(text) < 200_000


# --- 8: request smuggling --------------------------------------------------------------------

@pytest.mark.parametrize("te", ["xchunked", "gzip", "identity", "gzip, chunked", "chunked, gzip"])
def test_unsupported_transfer_encoding_is_400_and_close(server, te):
    name = unique("smuggled")
    smuggled = json.dumps({"name": name})
    inner = (f"POST {ML}/experiments/create HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             f"Content-Type: application/json\r\nContent-Length: {len(smuggled)}\r\n\r\n{smuggled}")
    s = connect(server.port)
    s.sendall(f"POST {ML}/experiments/search HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              f"Content-Type: application/json\r\nTransfer-Encoding: {te}\r\n\r\n{inner}".encode())
    status, headers, body = read_response(s)
    assert status == 400, body
    assert headers.get("connection", "").lower() == "close"
    assert b"HTTP/1.1" not in read_until_closed(s)  # the smuggled request got no answer
    assert not experiment_exists(server.url, name)


def test_content_length_with_transfer_encoding_is_400(server):
    s = connect(server.port)
    s.sendall(f"POST {ML}/experiments/search HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              "Content-Type: application/json\r\nContent-Length: 5\r\n"
              "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n".encode())
    status, _, _ = read_response(s)
    assert status == 400
    read_until_closed(s)


def test_chunked_body_still_works(server):
    name = unique("chunked")
    body = json.dumps({"name": name}).encode()
    s = connect(server.port)
    s.sendall(f"POST {ML}/experiments/create HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
              + f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n")
    status, _, answer = read_response(s)
    assert status == 200, answer
    assert experiment_exists(server.url, name)


# --- 13: headers, TLS, audit -----------------------------------------------------------------

def test_security_headers_on_every_response(server):
    for path in ["/health", "/api/v1/nope", "/", ML + "/experiments/get?experiment_id=zz"]:
        r = requests.get(server.url + path, timeout=30)
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"], path
        assert r.headers["X-Frame-Options"] == "DENY"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert "Strict-Transport-Security" not in r.headers  # plain HTTP


class TlsServer:
    def __init__(self, srv, crt):
        self.srv, self.crt = srv, crt
        self.url = f"https://127.0.0.1:{srv.port}"

    def wait_ready(self):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/health", verify=str(self.crt), timeout=2).ok:
                    return self
            except requests.RequestException:
                time.sleep(0.05)
        pytest.fail("TLS server did not start: " + self.srv.stderr())


@pytest.fixture
def tls(spawn, cert):
    crt, key = cert
    srv = spawn(start=False, extra_args=["--tls-cert", str(crt), "--tls-key", str(key),
                                         "--max-connections-per-address", "4", *FAST])
    srv.spawn()
    return TlsServer(srv, crt).wait_ready()


def test_tls_weak_suites_refused_and_modern_ones_served(tls):
    weak = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    weak.check_hostname = False
    weak.verify_mode = ssl.CERT_NONE
    weak.maximum_version = ssl.TLSVersion.TLSv1_2
    weak.set_ciphers("AES128-SHA")
    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        with weak.wrap_socket(connect(tls.srv.port)) as s:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            s.recv(100)
    good = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    good.load_verify_locations(str(tls.crt))
    good.maximum_version = ssl.TLSVersion.TLSv1_2
    good.set_ciphers("ECDHE-RSA-AES128-GCM-SHA256")
    with good.wrap_socket(connect(tls.srv.port), server_hostname="127.0.0.1") as s:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        status, headers, _ = read_response(s)
        assert status == 200
        assert headers["strict-transport-security"].startswith("max-age=")


def test_tls_port_writes_no_plaintext(tls):
    # A silent client: closed by the handshake deadline, without a byte written.
    s = connect(tls.srv.port)
    assert read_until_closed(s) == b""
    # Over the per-address cap: refused without a plaintext 503.
    hogs = [connect(tls.srv.port) for _ in range(4)]
    extra = connect(tls.srv.port)
    assert b"HTTP" not in read_until_closed(extra)
    for h in hogs:
        h.close()


def test_audit_names_the_addressed_workspace_and_secret_reads(signed_in):
    alice = basic("alice", PASSWORD)
    url = signed_in.url
    ws = unique("ws").replace("_", "-").lower()
    assert requests.post(url + "/api/v1/workspaces", json={"name": ws}, headers=alice,
                         timeout=30).status_code in (200, 201)
    r = requests.put(f"{url}/api/v1/workspaces/{ws}/secrets/db", json={"value": "s3cret"},
                     headers=alice, timeout=30)
    assert r.status_code in (200, 201), r.text
    assert requests.get(f"{url}/api/v1/workspaces/{ws}/secrets/db", headers=alice,
                        timeout=30).status_code == 200
    deadline = time.monotonic() + CLOSE_BOUND_S
    while True:
        entries = requests.get(url + "/api/v1/audit", params={"max_results": 100}, headers=alice,
                               timeout=30).json()["entries"]
        reads = [e for e in entries if e["action"] == "workspaces/secrets/read"]
        if reads or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert reads and reads[0]["workspace"] == ws, entries
    writes = [e for e in entries if e["action"] == "workspaces/secrets/write"]
    assert writes and all(e["workspace"] == ws for e in writes), entries


# --- backpressure ----------------------------------------------------------------------------

def test_full_worker_queue_answers_503_at_once_and_changes_nothing(spawn):
    srv = spawn(extra_args=["--worker-threads", "1", "--worker-queue", "1"])
    # All requests at once: one worker and one queue slot cannot take them all.
    names, answers = zip(*burst_of_creates(srv.port, 60))
    statuses = [a[0] for a in answers]
    assert set(statuses) <= {200, 503}, statuses
    busy = [a for a in answers if a[0] == 503]
    assert busy, "60 simultaneous writes on one worker were all queued"
    assert all(a[1].get("retry-after") == "1" for a in busy)
    for (status, _, _), name in zip(answers, names):
        assert experiment_exists(srv.url, name) == (status == 200), (name, status)
    metrics = requests.get(srv.url + "/metrics", timeout=30).text
    rejected = int(re.search(r"^mlws_http_busy_rejections_total (\d+)", metrics, re.M).group(1))
    assert rejected >= len(busy)
    assert re.search(r"^mlws_http_worker_queue_capacity 1$", metrics, re.M)


def test_expect_continue_is_answered_after_admission(server):
    name = unique("continue")
    body = json.dumps({"name": name}).encode()
    s = connect(server.port)
    s.sendall(f"POST {ML}/experiments/create HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              "Content-Type: application/json\r\nExpect: 100-continue\r\n"
              f"Content-Length: {len(body)}\r\n\r\n".encode())
    status, _, _ = read_response(s)
    assert status == 100  # admitted: now the client sends its body
    s.sendall(body)
    status, _, answer = read_response(s)
    assert status == 200, answer
    assert experiment_exists(server.url, name)
