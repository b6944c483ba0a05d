"""Environment builds run user-chosen code: pip runs the build script (setup.py) of every source
package it installs, from any index the requirements name. The build runs in the job sandbox,
as the job user, able to write only its own folder: a hostile package can neither read the
server's database or key nor write into its home.
"""

from __future__ import annotations

import functools
import http.server
import io
import os
import re
import tarfile
import threading

from conftest import free_port, unique
from test_cli import cli, ok, ok_json

PROBE = '''
import os, sys
home = {home!r}
seen = []
for name in ("mlws.db", "master.key"):
    try:
        open(os.path.join(home, name), "rb").read(1)
        seen.append("READ " + name)
    except OSError as e:
        seen.append("blocked %s errno %d" % (name, e.errno))
try:
    with open(os.path.join(home, "pwned"), "w") as f:
        f.write("x")
    seen.append("WROTE home")
except OSError as e:
    seen.append("blocked write errno %d" % e.errno)
raise SystemExit("EVIL-PROBE " + " | ".join(seen))
'''


def sdist(home: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, text in (("setup.py", PROBE.format(home=home)),
                           ("PKG-INFO", "Metadata-Version: 1.0\nName: evilpkg\nVersion: 0.1\n")):
            data = text.encode()
            info = tarfile.TarInfo(f"evilpkg-0.1/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # noqa: D401 (the test's output stays readable)
        pass


def test_a_hostile_package_build_cannot_reach_the_server_home(server, tmp_path):
    index = tmp_path / "index"
    index.mkdir()
    (index / "evilpkg-0.1.tar.gz").write_bytes(sdist(str(server.home)))
    port = free_port()
    handler = functools.partial(QuietHandler, directory=str(index))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        spec = tmp_path / "env.yml"
        spec.write_text(f"name: {unique('evil-env')}\nimage: python\npip_requirements:\n"
                        f"  - --find-links http://127.0.0.1:{port}/\n  - evilpkg==0.1\n")
        env = ok_json(cli(server.url, "environment", "create", "-f", str(spec), output="json"))
        proc = cli(server.url, "environment", "build", f"{env['name']}:{env['version']}",
                   timeout=600)
    finally:
        httpd.shutdown()
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the package's build fails on purpose
    build = re.search(r"build ([0-9a-f]{64})", proc.stderr).group(1)
    log = ok(cli(server.url, "environment", "build-log", build))
    probes = [line for line in log.splitlines() if re.search(r"EVIL-PROBE (READ|blocked)", line)]
    assert probes, f"the package's build script did not run:\n{log[-3000:]}"
    probe = probes[0]
    assert "READ" not in probe and "WROTE" not in probe, probe
    assert "blocked mlws.db" in probe and "blocked master.key" in probe, probe
    assert not os.path.exists(os.path.join(server.home, "pwned"))
