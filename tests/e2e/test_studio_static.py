"""The studio's static files as the server serves them (--web-root): pages get index.html so deep
links reload, hashed bundles are cacheable forever, and nothing outside the folder is served."""

from __future__ import annotations

import requests

from conftest import MlwsServer


def test_studio_files_pages_and_refusals(tmp_path):
    web = tmp_path / "web"
    (web / "assets").mkdir(parents=True)
    (web / "index.html").write_text("<html>studio</html>")
    (web / "assets" / "app-1234.js").write_text("console.log(1)")
    (web / ".env").write_text("SECRET=1")
    (tmp_path / "outside.txt").write_text("outside")
    srv = MlwsServer(tmp_path / "home", log_dir=tmp_path, extra_args=["--web-root", str(web)]).start()
    try:
        for page in ["/", "/workspaces/default/experiments/1", "/workspaces/team/assets/x",
                     "/workspaces/default/runs/abc?tab=metrics"]:
            r = requests.get(srv.url + page, timeout=10)
            assert r.status_code == 200 and r.text == "<html>studio</html>", page
            assert r.headers["Content-Type"].startswith("text/html")
            assert r.headers["Cache-Control"] == "no-cache"
        r = requests.get(srv.url + "/assets/app-1234.js", timeout=10)
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/javascript")
        assert "immutable" in r.headers["Cache-Control"]
        for bad in ["/assets/missing.js", "/.env", "/assets/../../outside.txt", "/nope",
                    "/%2e%2e/outside.txt"]:
            r = requests.get(srv.url + bad, timeout=10)
            assert r.status_code == 404, bad
            assert r.json()["error_code"] == "ENDPOINT_NOT_FOUND", bad
        # The APIs are not shadowed by the studio.
        r = requests.get(srv.url + "/api/v1/nope", timeout=10)
        assert r.status_code == 404 and r.json()["error_code"] == "ENDPOINT_NOT_FOUND"
        assert requests.get(srv.url + "/health", timeout=10).status_code == 200
    finally:
        srv.stop()
