"""MLClient: one workspace of one mlws server, with azure-ai-ml's operation groups."""

from __future__ import annotations

from . import entities as E
from . import operations as ops
from ._transport import Transport


class MLClient:
    """``MLClient(url, workspace, credential)``.

    ``credential`` is an mlws API token (a string), an object with ``get_token(scope)`` returning
    something with ``.token`` (azure-identity's credentials have that shape), or None for a server
    without sign-in. azure-ai-ml's keyword names are accepted too:
    ``MLClient(credential=..., workspace_name=..., url=...)``.
    """

    def __init__(self, url: str | None = None, workspace: str | None = None, credential=None,
                 *, workspace_name: str | None = None, timeout: float = 60.0, **kw):
        if url is None:
            raise TypeError("MLClient needs the server's url")
        self.workspace_name = workspace or workspace_name or "default"
        self._t = Transport(url, credential, timeout)
        ws = self.workspace_name
        self.jobs = ops.JobOperations(self._t, ws)
        self.models = ops.AssetOperations(self._t, ws, "models", E.Model)
        self.data = ops.AssetOperations(self._t, ws, "data", E.Data)
        self.environments = ops.AssetOperations(self._t, ws, "environments", E.Environment)
        self.components = ops.AssetOperations(self._t, ws, "components", E.Component)
        self.compute = ops.ComputeOperations(self._t, ws)
        self.registries = ops.RegistryOperations(self._t, ws)
        self.online_endpoints = ops.OnlineEndpointOperations(self._t, ws)
        self.online_deployments = ops.OnlineDeploymentOperations(self._t, ws)
        self.quota = ops.QuotaOperations(self._t, ws)
        self.cost = ops.CostOperations(self._t, ws)

    @property
    def url(self) -> str:
        return self._t.url

    def __repr__(self) -> str:
        return f"MLClient(url={self.url!r}, workspace={self.workspace_name!r})"
