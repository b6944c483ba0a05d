"""The operation groups of MLClient (``ml_client.jobs``, ``.models``, ``.compute``, ...), named as
azure-ai-ml names them. Each call is one or a few /api/v1 requests (docs/sdk.md lists them)."""

from __future__ import annotations

import json as _json
import os
import sys
import time
from pathlib import Path

from . import entities as E
from ._specs import prepare_asset, prepare_deployment, prepare_job, to_spec
from ._transport import Transport, q
from .exceptions import JobFailedError, MlwsError

POLL_S = 0.2  # how often stream and pollers ask the server again while nothing changed
_ENDED = ("Completed", "Failed", "Canceled")


class Poller:
    """What a ``begin_*`` call returns: ``result()`` waits until the operation is done."""

    def __init__(self, fetch, done, timeout: float = 3600):
        self._fetch, self._done, self._timeout = fetch, done, timeout
        self._value = None

    def result(self, timeout: float | None = None):
        deadline = time.monotonic() + (timeout or self._timeout)
        while True:
            self._value = self._fetch()
            if self._done(self._value):
                return self._value
            if time.monotonic() > deadline:
                raise MlwsError("the operation did not finish in time")
            time.sleep(POLL_S)

    def done(self) -> bool:
        self._value = self._fetch()
        return self._done(self._value)

    def wait(self, timeout: float | None = None) -> None:
        self.result(timeout)


class _Ops:
    def __init__(self, t: Transport, workspace: str):
        self._t, self._ws = t, workspace

    def _p(self, *parts: str) -> str:
        return f"/api/v1/workspaces/{q(self._ws)}" + "".join("/" + q(p) for p in parts)


class JobOperations(_Ops):
    def create_or_update(self, job, *, experiment_name: str | None = None,
                         compute: str | None = None, **kw) -> E.Job:
        """Submits a job: our CommandJob/PipelineJob, an azure-ai-ml job or ``command(...)``
        node, a dict or a YAML path. Local code and inputs are uploaded first."""
        spec, base = to_spec(job, E.Job)
        if experiment_name:
            spec["experiment_name"] = experiment_name
        if compute:
            spec["compute"] = compute
        spec = prepare_job(self._t, self._ws, spec, base)
        return E.job_from_rest(self._t.json("POST", self._p("jobs"), json=spec))

    def get(self, name: str) -> E.Job:
        return E.job_from_rest(self._t.json("GET", self._p("jobs", name)))

    def list(self, *, include_archived: bool = False, parent_job_name: str | None = None):
        params = {"include_archived": "true"} if include_archived else None
        jobs = self._t.json("GET", self._p("jobs"), params=params)["value"]
        out = [E.job_from_rest(j) for j in jobs]
        if parent_job_name:
            out = [j for j in out if getattr(j, "parent_job_name", None) == parent_job_name]
        return out

    def cancel(self, name: str) -> E.Job:
        return E.job_from_rest(self._t.json("POST", self._p("jobs", name, "cancel")))

    def begin_cancel(self, name: str) -> Poller:
        self.cancel(name)
        return Poller(lambda: self.get(name), lambda j: j.status in _ENDED)

    def archive(self, name: str) -> E.Job:
        return E.job_from_rest(self._t.json("POST", self._p("jobs", name, "archive")))

    def restore(self, name: str) -> E.Job:
        return E.job_from_rest(self._t.json("POST", self._p("jobs", name, "restore")))

    def stream(self, name: str, *, file=None, timeout: float | None = None) -> E.Job:
        """Prints the job's log as it grows (to ``file``, default stdout) until it ends; returns
        the ended job, raises JobFailedError unless it Completed (as azure-ai-ml does)."""
        out = file or sys.stdout
        offset, deadline = 0, time.monotonic() + (timeout or 10 ** 9)
        while True:
            chunk = self._t.json("GET", self._p("jobs", name, "logs"), params={"offset": offset})
            if chunk["data"]:
                out.write(chunk["data"])
                out.flush()
            offset = chunk["next_offset"]
            if chunk["finished"]:
                break
            if time.monotonic() > deadline:
                raise MlwsError(f"job {name} did not end within {timeout} s")
            if not chunk["data"]:
                time.sleep(POLL_S)
        job = self.get(name)
        if job.status != "Completed":
            raise JobFailedError(f"job {name} ended {job.status}: {job.error or ''}".strip(),
                                 error_code=job.status)
        return job

    def download(self, name: str, *, download_path: str | os.PathLike = ".",
                 output_name: str | None = None, all: bool = False) -> None:
        """``artifacts/`` (log, ./outputs) and ``named-outputs/<name>/``, as az ml lays them out.
        Without output_name and all: the artifacts only."""
        root = Path(download_path)
        for f in self._t.json("GET", self._p("jobs", name, "outputs"))["value"]:
            out = f["output"]
            if output_name and out != output_name:
                continue
            if not output_name and not all and out != "artifacts":
                continue
            dest = root / ("artifacts" if out == "artifacts" else f"named-outputs/{out}")
            dest = dest / f["path"]
            dest.parent.mkdir(parents=True, exist_ok=True)
            r = self._t.request("GET", self._p("jobs", name, "outputs", out) + "/" +
                                "/".join(q(s) for s in f["path"].split("/")), stream=True)
            with dest.open("wb") as fh:
                for block in r.iter_content(1 << 16):
                    fh.write(block)


class AssetOperations(_Ops):
    """models, data, environments, components: versioned assets."""

    def __init__(self, t: Transport, workspace: str, kind: str, cls):
        super().__init__(t, workspace)
        self._kind, self._cls = kind, cls

    def create_or_update(self, asset, **kw):
        spec, base = to_spec(asset, self._cls)
        spec = prepare_asset(self._t, self._ws, self._kind, spec, base)
        return self._cls._from_rest(self._t.json("POST", self._p(self._kind), json=spec))

    def get(self, name: str, version: str | None = None, label: str | None = None):
        if version is not None:
            path = self._p(self._kind, name, "versions", str(version))
        else:  # label "latest" (the only label) or none: the latest version
            path = self._p(self._kind, name)
        return self._cls._from_rest(self._t.json("GET", path))

    def list(self, name: str | None = None, *, include_archived: bool = False):
        """Without name: the latest version of each; with name: every version of it."""
        if name:
            body = self._t.json("GET", self._p(self._kind, name, "versions"))
        else:
            params = {"include_archived": "true"} if include_archived else None
            body = self._t.json("GET", self._p(self._kind), params=params)
        return [self._cls._from_rest(a) for a in body["value"]]

    def _versions(self, name, version):
        if version is not None:
            return [str(version)]
        return [a.version for a in self.list(name)]

    def archive(self, name: str, version: str | None = None, label: str | None = None) -> None:
        """Archives one version, or every version when none is given."""
        for v in self._versions(name, version):
            self._t.json("POST", self._p(self._kind, name, "versions", v, "archive"))

    def restore(self, name: str, version: str | None = None, label: str | None = None) -> None:
        for v in self._versions(name, version):
            self._t.json("POST", self._p(self._kind, name, "versions", v, "restore"))


class ComputeOperations(_Ops):
    def get(self, name: str) -> E.Compute:
        return E.Compute._from_rest(self._t.json("GET", self._p("computes", name)))

    def list(self):
        return [E.Compute._from_rest(c) for c in
                self._t.json("GET", self._p("computes"))["value"]]

    def begin_create_or_update(self, compute) -> Poller:
        spec, _ = to_spec(compute, E.Compute)
        made = E.Compute._from_rest(self._t.json("POST", self._p("computes"), json=spec))
        return Poller(lambda: made, lambda c: True)

    def begin_delete(self, name: str) -> Poller:
        self._t.request("DELETE", self._p("computes", name))
        return Poller(lambda: None, lambda c: True)


class RegistryOperations(_Ops):
    """Server-wide registries (``/api/v1/registries``)."""

    def list(self):
        body = self._t.json("GET", "/api/v1/registries")
        return [E.Registry._from_rest(r) for r in body.get("value", body.get("registries", []))]

    def get(self, name: str) -> E.Registry:
        body = self._t.json("GET", f"/api/v1/registries/{q(name)}")
        return E.Registry._from_rest(body.get("registry", body))


_STILL_PROVISIONING = ("Creating", "Updating", "Deleting")


class OnlineEndpointOperations(_Ops):
    def _ep(self, *parts: str) -> str:
        return self._p("online-endpoints", *parts)

    def get(self, name: str) -> E.OnlineEndpoint:
        return E.OnlineEndpoint._from_rest(self._t.json("GET", self._ep(name)))

    def list(self):
        return [E.OnlineEndpoint._from_rest(e) for e in
                self._t.json("GET", self._ep())["value"]]

    def begin_create_or_update(self, endpoint) -> Poller:
        """Creates the endpoint, or updates the fields an existing one may change (traffic,
        mirror_traffic, description, tags)."""
        spec, _ = to_spec(endpoint, E.OnlineEndpoint)
        name = spec.get("name")
        from .exceptions import ResourceNotFoundError  # noqa: PLC0415
        try:
            self.get(name)
            patch = {k: spec[k] for k in ("traffic", "mirror_traffic", "description", "tags")
                     if k in spec}
            self._t.json("PATCH", self._ep(name), json=patch)
        except ResourceNotFoundError:
            self._t.json("POST", self._ep(), json=spec)
        return Poller(lambda: self.get(name),
                      lambda e: e.provisioning_state not in _STILL_PROVISIONING)

    def begin_delete(self, name: str) -> Poller:
        self._t.request("DELETE", self._ep(name))
        return Poller(lambda: None, lambda e: True)

    def get_keys(self, name: str) -> dict:
        return self._t.json("POST", self._ep(name, "list-keys"))

    def invoke(self, endpoint_name: str, request_file: str | os.PathLike | None = None, *,
               deployment_name: str | None = None, request=None, key: str | None = None) -> str:
        """Scores one request (a JSON file or a JSON-able value); returns the answer's text."""
        body = Path(request_file).read_bytes() if request_file else _json.dumps(request).encode()
        headers = {"Content-Type": "application/json"}
        if deployment_name:
            headers["azureml-model-deployment"] = deployment_name
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return self._t.request("POST", self._ep(endpoint_name, "score"), data=body,
                               headers=headers).text


class OnlineDeploymentOperations(_Ops):
    def _dp(self, endpoint: str, *parts: str) -> str:
        return self._p("online-endpoints", endpoint, "deployments", *parts)

    def get(self, name: str, endpoint_name: str) -> E.OnlineDeployment:
        return E.OnlineDeployment._from_rest(self._t.json("GET", self._dp(endpoint_name, name)))

    def list(self, endpoint_name: str):
        return [E.OnlineDeployment._from_rest(d) for d in
                self._t.json("GET", self._dp(endpoint_name))["value"]]

    def begin_create_or_update(self, deployment) -> Poller:
        spec, base = to_spec(deployment, E.OnlineDeployment)
        spec = prepare_deployment(self._t, self._ws, spec, base)
        ep, name = spec.get("endpoint_name"), spec.get("name")
        if not ep:
            raise MlwsError("the deployment needs endpoint_name")
        from .exceptions import ResourceNotFoundError  # noqa: PLC0415
        try:
            self.get(name, ep)
            self._t.json("PATCH", self._dp(ep, name), json=spec)
        except ResourceNotFoundError:
            self._t.json("POST", self._dp(ep), json=spec)
        return Poller(lambda: self.get(name, ep),
                      lambda d: d.provisioning_state not in _STILL_PROVISIONING)

    def begin_delete(self, name: str, endpoint_name: str) -> Poller:
        self._t.request("DELETE", self._dp(endpoint_name, name))
        return Poller(lambda: None, lambda d: True)

    def get_logs(self, name: str, endpoint_name: str, lines: int = 100) -> str:
        return self._t.json("GET", self._dp(endpoint_name, name, "logs"),
                            params={"lines": lines})["logs"]


class QuotaOperations(_Ops):
    """mlws extension: the workspace's quota (docs/quotas.md)."""

    def get(self) -> dict:
        return self._t.json("GET", self._p("quota"))

    def set(self, spec: dict) -> dict:
        return self._t.json("PUT", self._p("quota"), json=spec)


class CostOperations(_Ops):
    """mlws extension: cost (docs/quotas.md#cost)."""

    def get(self) -> dict:
        return self._t.json("GET", self._p("cost"))

    def series(self, *, by: str = "experiment", per: str = "day", **params) -> dict:
        return self._t.json("GET", self._p("cost", "series"),
                            params={"by": by, "per": per, **params})
