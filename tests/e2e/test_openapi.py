"""GET /api/v1/openapi.json describes exactly the route table, with each route's action."""

import json
import re
import subprocess
from pathlib import Path

import requests

from conftest import wait_for_binary


def test_openapi_document_matches_the_route_table(server):
    r = requests.get(server.url + "/api/v1/openapi.json", timeout=30)
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.")
    routes = json.loads(subprocess.run([wait_for_binary(), "-o", "json", "routes"],
                                       capture_output=True, text=True, check=True,
                                       timeout=60).stdout)["routes"]
    seen = 0
    for route in routes:
        path = re.sub(r"\{([a-z_]+)(\.\.\.)?\}", r"{\1}", route["path"])
        op = doc["paths"][path][route["method"].lower()]
        assert op["x-mlws-action"] == route["action"]
        for name in re.findall(r"\{([a-z_]+)\}", path):
            assert {"name": name, "in": "path", "required": True,
                    "schema": {"type": "string"}} in op["parameters"]
        seen += 1
    assert seen == sum(len(v) for v in doc["paths"].values())
    ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))


NO_BODY = ("/cancel", "/archive", "/restore")


def test_every_api_v1_operation_declares_its_bodies(server):
    doc = requests.get(server.url + "/api/v1/openapi.json", timeout=30).json()
    schemas = doc["components"]["schemas"]
    ops = 0
    for path, methods in doc["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, op in methods.items():
            ops += 1
            success = [s for s in op["responses"] if s.startswith("2")]
            assert len(success) == 1, f"{method} {path}: {success}"
            content = op["responses"][success[0]]["content"]
            for media, body in content.items():
                if media == "application/json":
                    name = body["schema"]["$ref"].rsplit("/", 1)[1]
                    assert name in schemas, f"{method} {path}: {name}"
            takes_body = method in ("post", "put", "patch") and not path.endswith(NO_BODY) \
                and "/members/" not in path
            assert ("requestBody" in op) == takes_body, f"{method} {path}"
    assert ops > 90


WEB = Path(__file__).resolve().parents[2] / "web"


def test_studio_api_types_are_generated_from_the_served_document(server, tmp_path):
    """web/src/api/openapi.gen.ts is what openapi-typescript makes of the document the server
    serves now (regenerate with scripts/gen_api_types.sh)."""
    tool = WEB / "node_modules" / ".bin" / "openapi-typescript"
    assert tool.exists(), "openapi-typescript is missing: run `npm ci` in web/"
    doc = tmp_path / "openapi.json"
    doc.write_bytes(requests.get(server.url + "/api/v1/openapi.json", timeout=30).content)
    out = tmp_path / "openapi.gen.ts"
    subprocess.run([str(tool), str(doc), "-o", str(out)], cwd=WEB, check=True,
                   capture_output=True, timeout=120)
    committed = (WEB / "src" / "api" / "openapi.gen.ts").read_text()
    assert out.read_text() == committed, \
        "web/src/api/openapi.gen.ts is stale: run scripts/gen_api_types.sh"
