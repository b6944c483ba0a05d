"""The commands in README.md and docs/*.md work as written, so the docs cannot drift from the CLI.

* README.md's shell blocks are run, in order, as one bash script against a fresh server (the
  `make run` / `make test` lines aside: the test starts the server itself, and MLWS_URL names
  it as the CLI's default would). Only these are substituted: the server URL for
  http://127.0.0.1:5000, the binary under test for
  build/release/mlws, the test venv's python for `python`, and a password on the stdin of the
  two commands that read one (`mlws user create`, `mlws login`).
* Every `mlws …` line of docs/*.md, synopses with [options] and a|b alternatives included, is
  checked against the CLI itself: each command path must exist (`mlws <path> --help` exits 0)
  and every --flag it shows must be one that command accepts.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import wait_for_binary

REPO = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"```(?:sh|bash|shell)\n(.*?)```", re.S)
PASSWORD = "docs-check-password-1"


def sh_blocks(path: Path) -> list[str]:
    return BLOCK.findall(path.read_text())


def readme_script(url: str, exe: str) -> str:
    lines = []
    for block in sh_blocks(REPO / "README.md"):
        for line in block.splitlines():
            if re.match(r"^make (run|test)\b", line):
                continue
            line = line.replace("http://127.0.0.1:5000", url)
            line = line.replace("build/release/mlws", exe)
            if re.match(r"^\S*mlws (user create|login)\b", line):
                line = line.split("  #")[0].rstrip() + ' <<<"$DOCS_PASSWORD"'
            lines.append(line)
    return "set -euo pipefail\n" + "\n".join(lines) + "\n"


def test_readme_runs_as_written(spawn, tmp_path):
    srv = spawn()
    work = tmp_path / "work"
    work.mkdir()
    (work / "tests").symlink_to(REPO / "tests")  # README paths are relative to the checkout
    home = tmp_path / "user-home"
    home.mkdir()
    script = readme_script(srv.url, wait_for_binary())
    venv_bin = str(Path(sys.executable).parent)
    env = {**os.environ, "HOME": str(home), "DOCS_PASSWORD": PASSWORD,
           "PATH": venv_bin + os.pathsep + os.environ.get("PATH", "")}
    for k in ("MLWS_TOKEN", "MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_TOKEN"):
        env.pop(k, None)
    env["MLWS_URL"] = srv.url  # where `make run` would have put the server: the CLI's default
    proc = subprocess.run(["bash", "-c", script], cwd=work, env=env, capture_output=True,
                          text=True, timeout=900, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, (
        f"README script failed ({proc.returncode})\n--- script\n{script}\n--- stdout\n"
        f"{proc.stdout[-6000:]}\n--- stderr\n{proc.stderr[-6000:]}\n--- server\n{srv.stderr()}")
    # What the README promises happened.
    assert "quickstart" in proc.stdout
    assert (home / ".mlws" / "credentials").exists()
    assert "Completed" in proc.stdout


INLINE = re.compile(r"`((?:\S*/)?mlws [^`]+)`")


def mlws_lines() -> list[tuple[str, str]]:
    """Every `mlws …` command of the docs: lines of shell blocks and inline code spans."""
    out = []
    for path in sorted((REPO / "docs").glob("*.md")) + [REPO / "README.md"]:
        text = path.read_text()
        for block in sh_blocks(path):
            joined = re.sub(r"\n\s+\[", " [", block)  # continuation lines of a synopsis
            for line in joined.splitlines():
                line = line.split("  #")[0].strip()
                m = re.match(r"^(?:\S*/)?mlws (.*)$", line)
                if m:
                    out.append((path.name, m.group(1)))
        for span in INLINE.findall(BLOCK.sub("", text)):
            rest = span.split("mlws ", 1)[1].replace("\\|", "|")
            if "…" in rest or "<" in rest:
                rest = re.split(r"[…<]", rest)[0]
            for expanded in expand_words(rest):
                out.append((path.name, expanded))
    return out


def expand_words(rest: str) -> list[str]:
    """A word that stands for several (`model|data|environment|component`, `archive|restore`)
    outside [optional groups]: one line for each."""
    lines = [[]]
    depth = 0
    for w in rest.split():
        if depth == 0 and re.fullmatch(r"[a-z][a-z-]*(\|[a-z][a-z-]*)+", w):
            lines = [line + [alt] for line in lines for alt in w.split("|")]
        else:
            lines = [line + [w] for line in lines]
        depth += w.count("[") - w.count("]")
    return [" ".join(line) for line in lines]


def alternatives(rest: str) -> list[str]:
    """'job list | show NAME | stream NAME' -> ['job list', 'job show NAME', 'job stream NAME']."""
    parts = [p.strip() for p in re.split(r"(?<!\[)\s\|\s(?![^\[]*\])", rest)]
    if len(parts) == 1:
        return parts
    noun = parts[0].split()[0]
    return [parts[0]] + [f"{noun} {p}" for p in parts[1:]]


def command_path(words: list[str]) -> list[str]:
    """The subcommand words of a documented line: `experiment [-w WS] list [--view V]` ->
    [experiment, list]. Optional groups and options (with their values) are stepped over; a word
    is a subcommand only when the CLI has it (else it is a positional argument and ends the path)."""
    path: list[str] = []
    depth = 0
    skip_value = False
    for w in words:
        if depth > 0 or w.startswith("["):
            depth += w.count("[") - w.count("]")
            continue
        if w.startswith("-"):
            skip_value = "=" not in w
            continue
        subs = subcommands(path)
        if skip_value and w not in subs:  # the option's value
            skip_value = False
            continue
        skip_value = False
        if w not in subs:
            # A lower-case word after a command that only groups others must be one of them.
            assert not (re.fullmatch(r"[a-z][a-z-]*", w) and subs and
                        "Positionals:" not in help_of(path).stdout), (
                f"`mlws {' '.join(path)}` has no subcommand {w!r}")
            break
        path.append(w)
    return path


def subcommands(path: list[str]) -> set[str]:
    text = help_of(path).stdout
    if "Subcommands:" not in text:
        return set()
    section = text.split("Subcommands:", 1)[1]
    return {m.group(1) for m in re.finditer(r"^\s{2}([a-z][a-z-]*)\b", section, re.M)}


_help_cache: dict[tuple[str, ...], subprocess.CompletedProcess] = {}


def help_of(path: list[str]) -> subprocess.CompletedProcess:
    key = tuple(path)
    if key not in _help_cache:
        _help_cache[key] = subprocess.run([wait_for_binary(), *path, "--help"],
                                          capture_output=True, text=True, timeout=30,
                                          stdin=subprocess.DEVNULL)
    return _help_cache[key]


GLOBAL_FLAGS = {"--url", "-o", "--output", "--token"}


@pytest.mark.parametrize("doc,line", mlws_lines(), ids=lambda v: str(v)[:60])
def test_every_documented_command_exists_with_its_flags(doc, line):
    for alt in alternatives(line):
        words = alt.split()
        path = command_path(words)
        if not path and set(re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", alt)) <= GLOBAL_FLAGS:
            continue  # the global synopsis: `mlws [--url URL] [-o table|json|yaml] ...`
        h = help_of(path)
        assert path and h.returncode == 0, f"{doc}: `mlws {alt}` names no command: {h.stderr}"
        # Options may belong to the command or to any command above it (`experiment -w WS`).
        helps = "\n".join(help_of(path[:i]).stdout for i in range(1, len(path) + 1))
        for flag in re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", alt):
            if flag in GLOBAL_FLAGS:
                continue
            assert re.search(rf"(?<![\w-]){re.escape(flag)}\b", helps), (
                f"{doc}: `mlws {alt}` shows {flag}, which `mlws {' '.join(path)}` does not take:"
                f"\n{h.stdout}")
