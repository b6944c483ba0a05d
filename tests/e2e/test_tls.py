"""HTTPS with --tls-cert/--tls-key, including a stock MLflow client trusting the certificate."""

import os
import subprocess
import sys
import time

import pytest
import requests

from conftest import free_port, wait_for_binary


@pytest.fixture
def tls_server(tmp_path, cert):
    crt, key = cert
    port = free_port()
    log = open(tmp_path / "tls.stderr", "wb")
    proc = subprocess.Popen([wait_for_binary(), "server", "--port", str(port), "--home",
                             str(tmp_path / "home"), "--tls-cert", str(crt), "--tls-key",
                             str(key)], stdout=subprocess.DEVNULL, stderr=log)
    url = f"https://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/health", verify=str(crt), timeout=2).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("TLS server did not start: " + (tmp_path / "tls.stderr").read_text())
    yield url, crt, port
    proc.terminate()
    assert proc.wait(timeout=15) == 0


def test_https_serves_the_api_and_refuses_plain_http(tls_server):
    url, crt, port = tls_server
    r = requests.post(url + "/api/2.0/mlflow/experiments/create", json={"name": "tls"},
                      verify=str(crt), timeout=30)
    assert r.status_code == 200, r.text
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(url + "/health", timeout=5)  # not trusted without the certificate
    with pytest.raises(requests.RequestException):
        requests.get(f"http://127.0.0.1:{port}/health", timeout=5)
    # A large streamed upload and download over TLS.
    data = os.urandom(3 * 1024 * 1024)
    path = "/api/2.0/mlflow-artifacts/artifacts/0/x/artifacts/blob.bin"
    assert requests.put(url + path, data=data, verify=str(crt), timeout=60).status_code == 200
    assert requests.get(url + path, verify=str(crt), timeout=60).content == data


def test_mlflow_client_over_https(tls_server):
    url, crt, _ = tls_server
    script = ("import mlflow\n"
              "mlflow.set_experiment('tls-client')\n"
              "with mlflow.start_run() as r:\n"
              "    mlflow.log_metric('m', 2.5)\n"
              "print(mlflow.get_run(r.info.run_id).data.metrics['m'])\n")
    env = {**os.environ, "MLFLOW_TRACKING_URI": url, "MLFLOW_TRACKING_SERVER_CERT_PATH": str(crt)}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("2.5")


def test_bad_tls_files_fail_fast(tmp_path, cert):
    crt, _ = cert
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key")
    out = subprocess.run([wait_for_binary(), "server", "--port", str(free_port()), "--home",
                          str(tmp_path / "h"), "--tls-cert", str(crt), "--tls-key",
                          str(garbage)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 1 and "--tls-key" in out.stderr
    out = subprocess.run([wait_for_binary(), "server", "--port", str(free_port()), "--home",
                          str(tmp_path / "h"), "--tls-cert", str(crt)], capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 1 and "both --tls-cert and --tls-key" in out.stderr
