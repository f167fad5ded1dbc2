"""Run git on untrusted remotes and repositories without running anything of theirs.

Every invocation gets: no system or global config (a user's aliases, hooks or helpers
never apply), hooks disabled, no submodule recursion, no fsmonitor, the ``ext::``
transport refused, no credential prompt, LFS smudging off, automatic gc off (a detached
gc would race with cache locks and eviction), and English messages so failures can be
classified. Nothing here checks out a working tree.
"""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Sequence

HARDENING: tuple[str, ...] = (
    "-c", "core.hooksPath=/dev/null",
    "-c", "core.fsmonitor=false",
    "-c", "protocol.ext.allow=never",
    "-c", "submodule.recurse=false",
    "-c", "fetch.recurseSubmodules=false",
    "-c", "credential.helper=",
    "-c", "gc.auto=0",
    "-c", "maintenance.auto=false",
    "-c", "fetch.writeCommitGraph=false",
    "-c", "advice.detachedHead=false",
)


def git_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for git: hermetic config, no prompts, LFS smudge off."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        {
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_ASKPASS": "",
            "SSH_ASKPASS": "",
            "GIT_LFS_SKIP_SMUDGE": "1",
            "LC_ALL": "C",
            "LANG": "C",
        }
    )
    env.update(extra or {})
    return env


def run_git(
    args: Sequence[str],
    *,
    git_dir: Path | str | None = None,
    timeout: float | None = None,
    env: dict[str, str] | None = None,
    check: bool = False,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``git [hardening] [--git-dir DIR] args``; raises subprocess.TimeoutExpired."""
    cmd = ["git", *HARDENING]
    if git_dir is not None:
        cmd += ["--git-dir", str(git_dir)]
    cmd += list(args)
    return subprocess.run(cmd, capture_output=True, timeout=timeout, env=git_env(env), check=check, stdin=subprocess.DEVNULL)


# stderr patterns -> failure kind; first match wins
_GIT_ERRORS: list[tuple[str, re.Pattern[str]]] = [
    ("dmca", re.compile(r"returned error: 451|access blocked|DMCA", re.I)),
    ("auth", re.compile(r"Authentication failed|could not read (Username|Password)|returned error: 40[13]|Permission denied|terminal prompts disabled", re.I)),
    ("not-found", re.compile(r"Repository not found|returned error: 404|does not appear to be a git repository|couldn't find remote ref|not found", re.I)),
    ("rate-limited", re.compile(r"returned error: 429|rate limit", re.I)),
    ("server", re.compile(r"returned error: 5\d\d", re.I)),
    ("network", re.compile(r"Could not resolve host|Connection refused|Failed to connect|Connection timed out|Couldn't connect|early EOF|unexpected disconnect|hung up unexpectedly|RPC failed|transfer closed", re.I)),
    ("corrupt", re.compile(r"corrupt|bad object|index-pack failed|not a git repository|invalid object|packfile .* cannot be accessed|unable to read|loose object .* is", re.I)),
]


def classify(stderr: str, default: str = "network") -> str:
    """The failure kind of a git error message."""
    for kind, pat in _GIT_ERRORS:
        if pat.search(stderr):
            return kind
    return default


def last_lines(stderr: bytes | str, n: int = 3) -> str:
    """The last meaningful lines of git's stderr, progress lines dropped, one line."""
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    lines = [ln.strip() for ln in re.split(r"[\r\n]+", text) if ln.strip()]
    lines = [ln for ln in lines if not re.match(r"(remote: )?(Counting|Compressing|Receiving|Resolving|Unpacking|Enumerating|Total) ", ln)]
    return " | ".join(lines[-n:])[:400]
