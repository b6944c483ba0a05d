"""Errors the SDK raises. Every error the server answers carries its ``error_code`` and
``message`` (the server's ``{"error_code", "message"}`` body) and the HTTP ``status_code``.

The classes are named after azure-core's (``ResourceNotFoundError``, ``ResourceExistsError``,
``HttpResponseError``, ``ClientAuthenticationError``) so code written against azure-ai-ml catches
the same names.
"""

from __future__ import annotations


class MlwsError(Exception):
    """Base class: an error from the server, or a client-side problem (status_code None)."""

    def __init__(self, message: str, error_code: str | None = None,
                 status_code: int | None = None):
        super().__init__(message if not error_code else f"{error_code}: {message}")
        self.message = message
        self.error_code = error_code
        self.status_code = status_code


class HttpResponseError(MlwsError):
    """Any error answer of the server (4xx/5xx)."""


class ValidationError(HttpResponseError):
    """400: the request or spec was refused; nothing was created."""


class ResourceExistsError(ValidationError):
    """400 RESOURCE_ALREADY_EXISTS (e.g. an asset version that exists)."""


class ClientAuthenticationError(HttpResponseError):
    """401: no or a bad credential."""


class PermissionDeniedError(HttpResponseError):
    """403: the credential may not do this."""


class ResourceNotFoundError(HttpResponseError):
    """404: no such workspace, job, asset, compute, route, ..."""


class ResourceConflictError(HttpResponseError):
    """409: the resource's state forbids it (e.g. canceling a job that ended)."""


class QuotaExceededError(HttpResponseError):
    """RESOURCE_EXHAUSTED (413): a workspace quota refused the request (its message names it)."""


class ServiceUnavailableError(HttpResponseError):
    """5xx: the server could not do it now (or does not implement it: 501)."""


class JobFailedError(MlwsError):
    """``jobs.stream`` ended with the job Failed or Canceled."""


def error_for(status_code: int, error_code: str | None, message: str) -> HttpResponseError:
    """The exception for one error answer (the one place HTTP errors become Python ones)."""
    if error_code in ("RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED"):
        cls = QuotaExceededError
    elif error_code == "RESOURCE_ALREADY_EXISTS":
        cls = ResourceExistsError
    elif status_code == 400:
        cls = ValidationError
    elif status_code == 401:
        cls = ClientAuthenticationError
    elif status_code == 403:
        cls = PermissionDeniedError
    elif status_code == 404:
        cls = ResourceNotFoundError
    elif status_code == 409:
        cls = ResourceConflictError
    elif status_code >= 500:
        cls = ServiceUnavailableError
    else:
        cls = HttpResponseError
    return cls(message, error_code=error_code, status_code=status_code)
