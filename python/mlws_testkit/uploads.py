"""Upload archives as the CLI makes them: a tar (zstd-compressed when zstd is installed) whose
name is the content hash of its files (PUT /api/v1/workspaces/<ws>/uploads/<hash>)."""

import hashlib
import io
import shutil
import subprocess
import tarfile


def content_hash(files: dict[str, bytes]) -> str:
    m = hashlib.sha256()
    for rel in sorted(files):
        data = files[rel]
        m.update(rel.encode() + b"\0" + str(len(data)).encode() + b"\0" +
                 hashlib.sha256(data).hexdigest().encode() + b"\n")
    return m.hexdigest()


def tar_zst(files: dict[str, bytes], extra=None) -> bytes:
    """`files` (path -> bytes) plus `extra` (TarInfo, bytes or None) entries, as one archive."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as t:
        for rel, data in files.items():
            info = tarfile.TarInfo(rel)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        for info, data in (extra or []):
            t.addfile(info, io.BytesIO(data) if data is not None else None)
    if not shutil.which("zstd"):
        return raw.getvalue()
    return subprocess.run(["zstd", "-q", "-c"], input=raw.getvalue(), capture_output=True,
                          check=True).stdout
