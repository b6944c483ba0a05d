"""mlws: the Python SDK of the mlws ML-workspace server (docs/sdk.md).

    from mlws import MLClient, command, Input, load_job
    ml_client = MLClient("http://localhost:5000", "default", token)
    job = ml_client.jobs.create_or_update(load_job("job.yml"))
    ml_client.jobs.stream(job.name)
"""

from ._client import MLClient
from ._specs import (load_component, load_compute, load_data, load_environment, load_job,
                     load_model, load_online_deployment, load_online_endpoint)
from .entities import (AmlCompute, CodeConfiguration, CommandComponent, CommandJob, Component,
                       Compute, Data, Environment, Input, Job, ManagedOnlineDeployment,
                       ManagedOnlineEndpoint, Model, OnlineDeployment, OnlineEndpoint, Output,
                       PipelineJob, Registry, SweepJob, command)
from .exceptions import (ClientAuthenticationError, HttpResponseError, JobFailedError, MlwsError,
                         PermissionDeniedError, QuotaExceededError, ResourceConflictError,
                         ResourceExistsError, ResourceNotFoundError, ServiceUnavailableError,
                         ValidationError)

__version__ = "0.1.0"

__all__ = [
    "MLClient", "command", "Input", "Output", "load_job", "load_model", "load_data",
    "load_environment", "load_component", "load_compute", "load_online_endpoint",
    "load_online_deployment", "Job", "CommandJob", "PipelineJob", "SweepJob", "Model", "Data",
    "Environment", "Component", "CommandComponent", "Compute", "AmlCompute", "Registry",
    "OnlineEndpoint", "ManagedOnlineEndpoint", "OnlineDeployment", "ManagedOnlineDeployment",
    "CodeConfiguration", "MlwsError", "HttpResponseError", "ValidationError",
    "ResourceExistsError", "ResourceNotFoundError", "ResourceConflictError",
    "PermissionDeniedError", "ClientAuthenticationError", "QuotaExceededError",
    "ServiceUnavailableError", "JobFailedError",
]
