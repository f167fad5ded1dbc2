"""Build real git repositories for tests: dated commits, files, deletions, symlinks,
submodule entries — with the git command line, never with chipwatch code."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

_ENV_BASE = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.org",
    "GIT_COMMITTER_NAME": "Test Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.org",
    "GIT_TERMINAL_PROMPT": "0",
}


def git(cwd: Path | str, *args: str, env: dict | None = None, input: bytes | None = None) -> str:
    full_env = {**os.environ, **_ENV_BASE, **(env or {})}
    out = subprocess.run(
        ["git", *args], cwd=cwd, env=full_env, input=input, capture_output=True, check=True
    )
    return out.stdout.decode().strip()


class GitRepoBuilder:
    """A repository built commit by commit.

    >>> repo = GitRepoBuilder(tmp_path / "r")
    >>> c1 = repo.commit({"train.sh": "export NCCL_IB_HCA=mlx5_0\\n"}, date="2023-01-15")
    >>> c2 = repo.commit({"train.sh": None}, date="2023-06-01", message="remove network")
    """

    def __init__(self, path: Path | str, *, branch: str = "main", bare: bool = False):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.branch = branch
        git(self.path, "init", "-q", "-b", branch)
        git(self.path, "config", "commit.gpgsign", "false")

    def write(self, rel: str, content: str | bytes | None) -> None:
        target = self.path / rel
        if content is None:
            if target.is_symlink() or target.exists():
                git(self.path, "rm", "-q", "-r", "--cached", "--", rel)
                if target.is_dir() and not target.is_symlink():
                    import shutil

                    shutil.rmtree(target)
                else:
                    target.unlink()
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode("utf-8")
        target.write_bytes(content)
        git(self.path, "add", "--", rel)

    def symlink(self, rel: str, target: str) -> None:
        link = self.path / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, link)
        git(self.path, "add", "--", rel)

    def submodule_entry(self, rel: str, commit: str = "1" * 40) -> None:
        """A gitlink entry (mode 160000) as a submodule leaves in the tree."""
        git(self.path, "update-index", "--add", "--cacheinfo", f"160000,{commit},{rel}")

    def commit(
        self,
        files: dict[str, str | bytes | None] | None = None,
        *,
        date: str = "2024-01-01T12:00:00",
        message: str = "change",
    ) -> str:
        for rel, content in (files or {}).items():
            self.write(rel, content)
        stamp = date if "T" in date else f"{date}T12:00:00"
        env = {"GIT_AUTHOR_DATE": f"{stamp}+00:00", "GIT_COMMITTER_DATE": f"{stamp}+00:00"}
        git(self.path, "commit", "-q", "--allow-empty", "-m", message, env=env)
        return self.head()

    def head(self) -> str:
        return git(self.path, "rev-parse", "HEAD")

    def bare_clone(self, dest: Path | str) -> Path:
        dest = Path(dest)
        git(self.path.parent, "clone", "-q", "--bare", str(self.path), str(dest))
        return dest
