"""`mlws doctor`: one line per backend check, OK/FAIL/SKIP with the cause in plain words, exit
code 1 on any failure, credentials never shown (docs/scale-out.md "mlws doctor")."""

from __future__ import annotations

import os
import subprocess

from conftest import wait_for_binary
from mlws_testkit import pg
from mlws_testkit.net import free_port

CHECKS = ("home", "backend store", "artifacts", "s3 endpoint", "slurm", "job supervisor",
          "bubblewrap", "python", "python helpers", "jupyter venv")


def doctor(*args, env=None):
    return subprocess.run([wait_for_binary(), "doctor", *args], capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL,
                          env={**os.environ, **(env or {})})


def verdicts(out: str) -> dict[str, tuple[str, str]]:
    """check name -> (verdict, detail), from the report's lines."""
    found = {}
    for line in out.splitlines():
        verdict, _, rest = line.partition(" ")
        if verdict not in ("OK", "FAIL", "SKIP"):
            continue
        rest = rest.strip()
        for name in sorted(CHECKS, key=len, reverse=True):
            if rest.startswith(name + " "):
                found[name] = (verdict, rest[len(name):].strip())
                break
    return found


def test_doctor_passes_on_a_good_config(tmp_path):
    home = tmp_path / "home"
    p = doctor("--home", str(home), "--allow-unsandboxed-jobs")
    assert p.returncode == 0, p.stdout + p.stderr
    v = verdicts(p.stdout)
    assert set(v) == set(CHECKS), p.stdout
    assert all(verdict != "FAIL" for verdict, _ in v.values()), p.stdout
    assert v["home"][0] == "OK" and v["backend store"][0] == "OK", p.stdout
    assert v["artifacts"][0] == "OK" and "folder usable" in v["artifacts"][1]
    assert v["s3 endpoint"][0] == "SKIP"
    assert p.stdout.strip().endswith("all checks passed")


def test_doctor_names_each_broken_backend_and_masks_credentials(tmp_path):
    closed = free_port()  # nothing listens here
    secret_pw, secret_key = "pw-Sekr1t-xyz", "aws-Sekr1t-abc"
    p = doctor("--home", str(tmp_path / "home"),
               "--backend-store-uri",
               f"postgresql://mlws:{secret_pw}@127.0.0.1:{closed}/db?connect_timeout=3",
               "--artifacts-destination", "s3://no-such-bucket/x",
               "--s3-endpoint-url", f"http://127.0.0.1:{closed}",
               env={"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": secret_key,
                    "MLWS_JOB_BWRAP": str(tmp_path / "no-bwrap")})
    assert p.returncode == 1, p.stdout + p.stderr
    out = p.stdout + p.stderr
    assert secret_pw not in out and secret_key not in out
    v = verdicts(p.stdout)
    assert set(v) == set(CHECKS), p.stdout
    verdict, detail = v["backend store"]
    assert verdict == "FAIL" and "mlws:***@127.0.0.1" in detail, detail
    assert "refused" in detail.lower() or "connect" in detail.lower(), detail
    verdict, detail = v["artifacts"]
    assert verdict == "FAIL" and "s3://no-such-bucket/x" in detail, detail
    assert v["s3 endpoint"][0] == "FAIL"
    verdict, detail = v["bubblewrap"]
    assert verdict == "FAIL" and "no-bwrap" in detail, detail
    assert p.stdout.strip().endswith("check(s) failed")


def test_doctor_fails_without_s3_credentials(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    p = subprocess.run([wait_for_binary(), "doctor", "--home", str(tmp_path / "home"),
                        "--artifacts-destination", "s3://bucket/p",
                        "--s3-endpoint-url", f"http://127.0.0.1:{free_port()}",
                        "--allow-unsandboxed-jobs"],
                       capture_output=True, text=True, timeout=120, env=env)
    assert p.returncode == 1
    v = verdicts(p.stdout)
    assert v["s3 endpoint"][0] == "FAIL" and "AWS_ACCESS_KEY_ID" in v["s3 endpoint"][1]
    assert v["backend store"][0] == "OK"


def test_doctor_help_is_its_own_and_names_every_check_and_exit_code():
    p = doctor("--help")
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert out.startswith("Check every backend `mlws server` would use"), out[:300]
    assert any(line.startswith("Usage:") and line.endswith(" doctor [OPTIONS]")
               for line in out.splitlines()), out[:400]
    assert "Run the mlws server" not in out
    for name in CHECKS:
        assert f"\n  {name} " in out, f"check {name!r} not explained"
    assert "Exit status: 0" in out and "1 when any check failed" in out
    for flag in ("--backend-store-uri", "--artifacts-destination", "--home", "--s3-endpoint-url"):
        assert flag in out, flag
    # `mlws server --help` stays the server's.
    s = subprocess.run([wait_for_binary(), "server", "--help"], capture_output=True, text=True,
                       timeout=60)
    assert s.returncode == 0 and "Run the mlws server" in s.stdout
    assert "Exit status: 0" not in s.stdout


def test_doctor_lists_running_servers_with_the_url_each_advertises(spawn):
    """Several servers on one database: each records the URL it is reached at (--advertise-url,
    else its listening address), and doctor names every live server with it."""
    named = spawn(extra_args=["--advertise-url", "https://host-a.example:8443/mlws/"])
    default = spawn(home=named.home, port=free_port())  # a second server on the same store
    p = doctor("--home", str(named.home), *pg.store_args(named.home))
    assert p.returncode == 0, p.stdout + p.stderr
    lines = [ln for ln in p.stdout.splitlines() if ln.split()[:2] == ["OK", "server"]]
    assert len(lines) == 2, p.stdout
    joined = "\n".join(lines)
    assert "at https://host-a.example:8443/mlws: last heartbeat" in joined, p.stdout
    assert f"at http://127.0.0.1:{default.port}: last heartbeat" in joined, p.stdout


def test_a_bad_advertise_url_refuses_to_start_and_never_echoes_a_password(tmp_path):
    for bad, why in (("host-a:5000", "http:// or https://"),
                     ("http://host-a:99999", "the port must be 1-65535"),
                     ("http://admin:pw-Sekr1t@host-a:5000", "no user or password")):
        p = subprocess.run([wait_for_binary(), "server", "--home", str(tmp_path / "home"),
                            "--port", str(free_port()), "--advertise-url", bad],
                           capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert p.returncode != 0, bad
        assert "--advertise-url" in p.stderr and why in p.stderr, p.stderr
        assert "pw-Sekr1t" not in p.stderr + p.stdout
        assert "listening on" not in p.stderr
