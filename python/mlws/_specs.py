"""Specs: YAML files, entity objects (ours or azure-ai-ml's) and the local files they name.

Local paths in a spec (a job's ``code`` and input paths, an asset's ``path``, a component's
``code``, an environment's ``build.path``, a deployment's ``code_configuration.code``) are
uploaded as the CLI uploads them: the file or folder is hashed (SHA-256 over its sorted files'
"<path>\\0<size>\\0<sha256>\\n"), sent once as a tar to ``PUT …/uploads/<hash>`` unless the server
has it, and replaced by ``azureml://datastores/workspaceblobstore/paths/LocalUpload/<hash>``
(plus ``/<file name>`` for a file). A ``conda_file`` path is sent as its content.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tarfile
from pathlib import Path

import yaml

from . import entities as E
from .exceptions import MlwsError, ResourceNotFoundError
from ._transport import Transport, q

_SCHEME = re.compile(r"^[A-Za-z0-9+.\-]+:")


def is_local_path(p) -> bool:
    if not isinstance(p, str) or p.startswith("azureml:"):
        return False
    return not _SCHEME.match(p)


def load_yaml(path: str | os.PathLike) -> tuple[dict, str]:
    """(spec, folder of the file)."""
    p = Path(path)
    try:
        spec = yaml.safe_load(p.read_text())
    except OSError as e:
        raise MlwsError(f"{path}: {e.strerror}") from e
    except yaml.YAMLError as e:
        raise MlwsError(f"{path}: invalid YAML: {e}") from e
    if not isinstance(spec, dict):
        raise MlwsError(f"{path}: the spec must be a YAML mapping")
    return spec, str(p.resolve().parent)


def _load(cls, source, params_override=None, **kw):
    spec, base = load_yaml(source)
    for override in params_override or []:
        spec.update(override)
    spec.update({k: v for k, v in kw.items() if v is not None})
    return cls(_base_path=base, **spec)


def load_job(source, *, params_override=None, **kw) -> E.Job:
    """A job from its YAML (``command``, ``pipeline`` or ``sweep``), local paths relative to it."""
    spec, base = load_yaml(source)
    for override in params_override or []:
        spec.update(override)
    spec.update(kw)
    cls = E._JOB_TYPES.get(spec.get("type", "command"), E.Job)
    job = cls(_base_path=base, **spec)
    if getattr(job, "experiment_name", None) is None and job.type != "pipeline":
        job.experiment_name = Path(base).name  # as `mlws job create -f` does
    return job


def load_model(source, **kw) -> E.Model:
    return _load(E.Model, source, **kw)


def load_data(source, **kw) -> E.Data:
    return _load(E.Data, source, **kw)


def load_environment(source, **kw) -> E.Environment:
    return _load(E.Environment, source, **kw)


def load_component(source, **kw) -> E.Component:
    return _load(E.Component, source, **kw)


def load_compute(source, **kw) -> E.Compute:
    return _load(E.Compute, source, **kw)


def load_online_endpoint(source, **kw) -> E.OnlineEndpoint:
    return _load(E.OnlineEndpoint, source, **kw)


def load_online_deployment(source, **kw) -> E.OnlineDeployment:
    return _load(E.OnlineDeployment, source, **kw)


# --- azure-ai-ml objects ------------------------------------------------------------------------

def _is_azure_entity(obj) -> bool:
    return type(obj).__module__.startswith("azure.ai.ml")


# Fields azure-ai-ml's dumps carry that have no meaning here (mlws refuses unknown fields).
_AZURE_ONLY = {"$schema", "creation_context", "id", "status", "services", "is_anonymous",
               "is_archived", "auto_increment_version", "stage", "intellectual_property"}


def _strip_azure(d: dict) -> dict:
    out = {k: v for k, v in d.items() if k not in _AZURE_ONLY and v is not None and v != {}}
    # azure-ai-ml dumps a job input's local path as "azureml:./file": it is still a local path.
    p = out.get("path")
    if isinstance(p, str) and re.match(r"^azureml:(\.|/)", p):
        out["path"] = p[len("azureml:"):]
    for key in ("inputs", "outputs"):
        if isinstance(out.get(key), dict):
            out[key] = {n: (_strip_azure(v) if isinstance(v, dict) else v)
                        for n, v in out[key].items()}
    return out


def from_azure(obj) -> dict:
    """An azure-ai-ml entity as the spec dict its YAML dump holds."""
    if hasattr(obj, "_to_job"):  # azure.ai.ml.command(...) builds a node; its job is the spec
        obj = obj._to_job()
    if hasattr(obj, "_to_dict"):
        d = obj._to_dict()
    else:
        import yaml as _y  # noqa: PLC0415  (dump() writes the same YAML az ml reads)
        buf = io.StringIO()
        obj.dump(buf)
        d = _y.safe_load(buf.getvalue())
    return _strip_azure(d)


def to_spec(entity, cls) -> tuple[dict, str]:
    """(spec dict, base folder for its local paths) of an entity, a dict or a YAML path."""
    if isinstance(entity, (str, os.PathLike)):
        spec, base = load_yaml(entity)
        return spec, base
    if _is_azure_entity(entity):  # first: azure-ai-ml's job nodes are dict subclasses
        base = getattr(entity, "base_path", None) or os.getcwd()
        return from_azure(entity), str(base)
    if isinstance(entity, dict):
        return dict(entity), os.getcwd()
    if isinstance(entity, E.Resource):
        return entity._to_dict(), entity._base_path
    raise TypeError(f"expected a {cls.__name__}, a dict or a YAML path, got {type(entity)}")


# --- uploads -----------------------------------------------------------------------------------

def _collect(root: Path) -> list[tuple[str, Path]]:
    if root.is_file():
        return [(root.name, root)]
    out = []
    for p in sorted(root.rglob("*")):
        if p.is_symlink():
            raise MlwsError(f"{root}: symbolic links are not uploaded (found {p.relative_to(root)})")
        if p.is_file():
            out.append((p.relative_to(root).as_posix(), p))
    return sorted(out)


def content_hash(files: list[tuple[str, Path]]) -> str:
    m = hashlib.sha256()
    for rel, p in sorted(files):
        data = p.read_bytes()
        m.update(rel.encode() + b"\0" + str(len(data)).encode() + b"\0" +
                 hashlib.sha256(data).hexdigest().encode() + b"\n")
    return m.hexdigest()


def upload(t: Transport, workspace: str, local: Path) -> str:
    """Uploads a local file or folder (once) and returns its datastore URI."""
    if not local.exists():
        raise MlwsError(f"path '{local}' does not exist")
    files = _collect(local)
    h = content_hash(files)
    path = f"/api/v1/workspaces/{q(workspace)}/uploads/{h}"
    try:
        t.request("GET", path)
    except ResourceNotFoundError:
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for rel, p in files:
                info = tarfile.TarInfo(rel)
                info.size = p.stat().st_size
                info.mode = 0o755 if os.access(p, os.X_OK) else 0o644
                with p.open("rb") as f:
                    tar.addfile(info, f)
        t.request("PUT", path, data=buf.getvalue(),
                  headers={"Content-Type": "application/octet-stream"})
    uri = f"azureml://datastores/workspaceblobstore/paths/LocalUpload/{h}"
    return uri + "/" + local.name if local.is_file() else uri


class Uploader:
    def __init__(self, t: Transport, workspace: str, base: str):
        self.t, self.ws, self.base = t, workspace, Path(base)

    def path(self, p):
        if not is_local_path(p):
            return p
        return upload(self.t, self.ws, (self.base / p).resolve())

    def field(self, d: dict, key: str) -> None:
        if isinstance(d, dict) and isinstance(d.get(key), str):
            d[key] = self.path(d[key])

    def conda(self, env) -> None:
        """An inline environment's conda_file path becomes its content."""
        if isinstance(env, dict) and isinstance(env.get("conda_file"), str):
            env["conda_file"], _ = load_yaml(self.base / env["conda_file"])


def prepare_job(t: Transport, ws: str, spec: dict, base: str) -> dict:
    up = Uploader(t, ws, base)
    if spec.get("type") == "pipeline":
        for job in (spec.get("jobs") or {}).values():
            if isinstance(job, dict):
                up.field(job, "code")
                if isinstance(job.get("component"), str) and is_local_path(job["component"]):
                    comp, cbase = load_yaml(Path(base) / job["component"])
                    job["component"] = prepare_asset(t, ws, "components", comp, cbase)
                for inp in (job.get("inputs") or {}).values():
                    up.field(inp, "path")
    up.field(spec, "code")
    up.conda(spec.get("environment"))
    for inp in (spec.get("inputs") or {}).values():
        up.field(inp, "path")
    return spec


def prepare_asset(t: Transport, ws: str, kind: str, spec: dict, base: str) -> dict:
    up = Uploader(t, ws, base)
    if kind in ("models", "data"):
        up.field(spec, "path")
    elif kind == "environments":
        up.conda(spec)
        up.field(spec.get("build"), "path")
    elif kind == "components":
        up.field(spec, "code")
        up.conda(spec.get("environment"))
    return spec


def prepare_deployment(t: Transport, ws: str, spec: dict, base: str) -> dict:
    up = Uploader(t, ws, base)
    up.field(spec.get("code_configuration"), "code")
    if isinstance(spec.get("model"), dict):
        up.field(spec["model"], "path")
    up.conda(spec.get("environment"))
    return spec
