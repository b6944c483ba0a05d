"""HTTP to one mlws server: credentials, JSON, and error answers turned into exceptions."""

from __future__ import annotations

import time
from urllib.parse import quote

import requests

from .exceptions import MlwsError, error_for

# The scope asked of a credential object (azure-identity style); mlws ignores its value.
TOKEN_SCOPE = "https://ml.azure.com/.default"


def _token_of(credential) -> tuple[str | None, float]:
    """(token, expires_on) of a credential: None, a token string, or an object with get_token."""
    if credential is None:
        return None, float("inf")
    if isinstance(credential, str):
        return credential, float("inf")
    if hasattr(credential, "get_token"):
        tok = credential.get_token(TOKEN_SCOPE)
        token = getattr(tok, "token", tok)
        expires = getattr(tok, "expires_on", None)
        return str(token), float(expires) if expires else time.time() + 300
    raise TypeError("credential must be a token string or an object with get_token(scope)")


class Transport:
    def __init__(self, url: str, credential=None, timeout: float = 60.0):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._credential = credential
        self._token: str | None = None
        self._expires = 0.0
        self._session = requests.Session()

    def _headers(self) -> dict:
        if self._credential is None:
            return {}
        if self._token is None or time.time() > self._expires - 60:
            self._token, self._expires = _token_of(self._credential)
        return {"Authorization": f"Bearer {self._token}"}

    def request(self, method: str, path: str, *, json=None, params=None, data=None,
                headers=None, stream=False, timeout=None) -> requests.Response:
        h = self._headers()
        h.update(headers or {})
        try:
            r = self._session.request(method, self.url + path, json=json, params=params,
                                      data=data, headers=h, stream=stream,
                                      timeout=timeout or self.timeout)
        except requests.RequestException as e:
            raise MlwsError(f"cannot reach {self.url}: {e}") from e
        if r.status_code >= 400:
            raise self._error(r)
        return r

    @staticmethod
    def _error(r: requests.Response):
        code, message = None, r.text.strip() or r.reason
        try:
            body = r.json()
            if isinstance(body, dict):
                code = body.get("error_code")
                message = body.get("message", message)
        except ValueError:
            pass
        return error_for(r.status_code, code, message)

    def json(self, method: str, path: str, **kw):
        r = self.request(method, path, **kw)
        if not r.content:
            return None
        return r.json()


def q(s: str) -> str:
    """One path segment, escaped."""
    return quote(str(s), safe="")
