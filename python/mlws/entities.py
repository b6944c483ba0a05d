"""Entity classes, shaped like azure-ai-ml's: keyword constructors with the YAML's field names,
attribute access, ``_to_dict()`` giving the spec the server takes.

What the server answers comes back as the same classes, with every field of the answer as an
attribute (``job.status``, ``model.version``, ``compute.busy``, ...).
"""

from __future__ import annotations

import os
from typing import Any


class Resource:
    """A spec (what is sent) or a server object (what came back): fields as attributes."""

    _kind = "resource"

    def __init__(self, **fields: Any):
        self._base_path = fields.pop("_base_path", None) or os.getcwd()
        for k, v in fields.items():
            setattr(self, k, v)

    def _fields(self) -> dict:
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def _to_dict(self) -> dict:
        """The spec: fields that are set (None dropped), nested entities as dicts."""
        return {k: _plain(v) for k, v in self._fields().items() if v is not None}

    @classmethod
    def _from_rest(cls, body: dict) -> "Resource":
        obj = cls.__new__(cls)
        obj._base_path = os.getcwd()
        for k, v in (body or {}).items():
            setattr(obj, k, v)
        return obj

    def __getattr__(self, name: str):
        # Fields a spec did not set read as None, as azure-ai-ml's entities do.
        if name.startswith("__"):
            raise AttributeError(name)
        return None

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and self._to_dict() == other._to_dict()

    def __repr__(self) -> str:
        shown = {k: v for k, v in self._to_dict().items() if k in ("name", "version", "status")}
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in shown.items())})"


def _plain(v):
    if isinstance(v, Resource):
        return v._to_dict()
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items() if x is not None}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


class Input(Resource):
    """A job input: ``Input(type="uri_folder", path="./data")`` or a literal value."""

    def __init__(self, *, type: str = "uri_folder", path: str | None = None,
                 mode: str | None = None, default=None, description: str | None = None,
                 optional: bool | None = None, **kw):
        super().__init__(type=type, path=path, mode=mode, default=default,
                         description=description, optional=optional, **kw)


class Output(Resource):
    """A job output: ``Output(type="uri_folder", name="my-data")`` registers it when set."""

    def __init__(self, *, type: str = "uri_folder", path: str | None = None,
                 mode: str | None = None, name: str | None = None, version: str | None = None,
                 description: str | None = None, **kw):
        super().__init__(type=type, path=path, mode=mode, name=name, version=version,
                         description=description, **kw)


class Job(Resource):
    _kind = "job"


class CommandJob(Job):
    """A command job (``type: command``)."""

    def __init__(self, **fields):
        fields.setdefault("type", "command")
        super().__init__(**fields)


class PipelineJob(Job):
    def __init__(self, **fields):
        fields.setdefault("type", "pipeline")
        super().__init__(**fields)


class SweepJob(Job):
    def __init__(self, **fields):
        fields.setdefault("type", "sweep")
        super().__init__(**fields)


class Model(Resource):
    _kind = "models"


class Data(Resource):
    _kind = "data"


class Environment(Resource):
    _kind = "environments"


class Component(Resource):
    _kind = "components"


class CommandComponent(Component):
    def __init__(self, **fields):
        fields.setdefault("type", "command")
        super().__init__(**fields)


class Compute(Resource):
    _kind = "computes"


class AmlCompute(Compute):
    def __init__(self, **fields):
        fields.setdefault("type", "amlcompute")
        super().__init__(**fields)


class Registry(Resource):
    _kind = "registries"


class OnlineEndpoint(Resource):
    _kind = "online-endpoints"


class ManagedOnlineEndpoint(OnlineEndpoint):
    pass


class OnlineDeployment(Resource):
    _kind = "deployments"


class ManagedOnlineDeployment(OnlineDeployment):
    pass


class CodeConfiguration(Resource):
    def __init__(self, *, code: str | None = None, scoring_script: str | None = None, **kw):
        super().__init__(code=code, scoring_script=scoring_script, **kw)


class Quota(Resource):
    _kind = "quota"


_JOB_TYPES = {"command": CommandJob, "pipeline": PipelineJob, "sweep": SweepJob}


def job_from_rest(body: dict) -> Job:
    return _JOB_TYPES.get((body or {}).get("type"), Job)._from_rest(body)


def command(*, command: str, code: str | None = None, inputs: dict | None = None,
            outputs: dict | None = None, environment=None, compute: str | None = None,
            name: str | None = None, display_name: str | None = None,
            description: str | None = None, experiment_name: str | None = None,
            environment_variables: dict | None = None, tags: dict | None = None,
            instance_count: int | None = None, timeout: int | None = None,
            resources: dict | None = None, limits: dict | None = None,
            queue_settings: dict | None = None, **kw) -> CommandJob:
    """A command job, as ``azure.ai.ml.command(...)`` builds one. ``instance_count`` and
    ``timeout`` are shorthands for ``resources.instance_count`` and ``limits.timeout``."""
    if instance_count is not None:
        resources = {**(resources or {}), "instance_count": instance_count}
    if timeout is not None:
        limits = {**(limits or {}), "timeout": timeout}
    return CommandJob(command=command, code=code, inputs=inputs, outputs=outputs,
                      environment=environment, compute=compute, name=name,
                      display_name=display_name, description=description,
                      experiment_name=experiment_name,
                      environment_variables=environment_variables, tags=tags,
                      resources=resources, limits=limits, queue_settings=queue_settings, **kw)
