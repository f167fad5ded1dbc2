"""A loopback server speaking the Hugging Face Hub routes huggingface_hub uses.

Each model is a real git repository built with GitRepoBuilder; the server derives what
the Hub would say of it:

- ``GET /api/models?author=A&expand=...`` — listing with Link pagination (``cursor``);
  ``config`` is the subset the Hub shows (architectures, model_type,
  quantization_config), ``safetensors`` what the test declared, ``siblings`` the files.
- ``GET /api/models/{id}`` and ``/api/models/{id}/revision/{rev}`` — model info.
- ``HEAD|GET /{id}/resolve/{rev}/{path}`` — file content with ``X-Repo-Commit`` and
  ``ETag`` (what ``hf_hub_download`` needs).
- ``/{id}/info/refs``, ``/{id}/git-upload-pack`` — git over HTTP (real http-backend).

    with HubServer(tmp_path / "hub") as hub:
        hub.add_model("acme/tiny", {"config.json": '{"torch_dtype": "bfloat16"}'},
                      safetensors={"BF16": 1000})
        HfSource("acme", endpoint=hub.url)...
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

from tests.helpers.gitbuild import GitRepoBuilder
from tests.servers.base import LoopbackServer, Response
from tests.servers.git_http import serve_git

LISTED_CONFIG_KEYS = ("architectures", "model_type", "quantization_config", "auto_map")


class HubServer(LoopbackServer):
    def __init__(self, root: Path | str, *, page_size: int = 50, token: str | None = None):
        super().__init__()
        self.root = Path(root)
        self.page_size = page_size
        self.token = token
        self.models: dict[str, dict[str, Any]] = {}  # id -> extra listing fields
        self.builders: dict[str, GitRepoBuilder] = {}
        self.listing_override: dict[str, dict[str, Any]] = {}  # id -> fields replacing derived ones

    # -- state ----------------------------------------------------------------------------------
    def add_model(self, repo_id: str, files: dict[str, str | bytes | None], *, safetensors: dict[str, int] | None = None,
                  date: str = "2024-03-01", **fields: Any) -> str:
        """Create (or commit to) a model repository; returns the new commit sha."""
        if repo_id not in self.builders:
            self.builders[repo_id] = GitRepoBuilder(self.root / repo_id)
        sha = self.builders[repo_id].commit(files, date=date, message=f"update {repo_id}")
        entry = self.models.setdefault(repo_id, {"createdAt": f"{date}T12:00:00.000Z"})
        entry["lastModified"] = f"{date}T12:00:00.000Z"
        if safetensors is not None:
            entry["safetensors"] = {"parameters": dict(safetensors), "total": sum(safetensors.values())}
        entry.update(fields)
        return sha

    def _git(self, repo_id: str, *args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(["git", "-C", str(self.root / repo_id), *args], capture_output=True)

    def _sha(self, repo_id: str, rev: str = "HEAD") -> str | None:
        p = self._git(repo_id, "rev-parse", "--verify", "-q", f"{rev}^{{commit}}")
        return p.stdout.decode().strip() if p.returncode == 0 else None

    def _files(self, repo_id: str, rev: str = "HEAD") -> list[str]:
        return self._git(repo_id, "ls-tree", "-r", "--name-only", rev).stdout.decode().split()

    def _file(self, repo_id: str, rev: str, path: str) -> bytes | None:
        p = self._git(repo_id, "show", f"{rev}:{path}")
        return p.stdout if p.returncode == 0 else None

    def entry(self, repo_id: str) -> dict[str, Any]:
        """The listing entry the Hub would give for this model (with all expand fields)."""
        sha = self._sha(repo_id)
        files = self._files(repo_id)
        extra = dict(self.models[repo_id])
        item: dict[str, Any] = {
            "_id": repo_id.replace("/", "-"), "id": repo_id, "modelId": repo_id, "author": repo_id.split("/")[0],
            "sha": sha, "private": False, "gated": False, "disabled": False, "downloads": 10, "likes": 2,
            "tags": ["transformers", "safetensors"], "library_name": "transformers", "pipeline_tag": "text-generation",
            "siblings": [{"rfilename": f} for f in files],
        }
        raw = self._file(repo_id, "HEAD", "config.json") if "config.json" in files else None
        try:
            cfg = json.loads(raw) if raw else None
        except (ValueError, RecursionError):
            cfg = None  # the Hub shows no config when config.json does not parse
        if isinstance(cfg, dict):
            item["config"] = {k: cfg[k] for k in LISTED_CONFIG_KEYS if k in cfg}
        readme = self._file(repo_id, "HEAD", "README.md") if "README.md" in files else None
        if readme and readme.startswith(b"---") and len(readme) < 10_000:
            try:
                block = readme.split(b"---", 2)[1]
                # like the Hub, show no card data for cards it cannot render (aliases: a bomb)
                if not any(isinstance(e, yaml.AliasEvent) for e in yaml.parse(block)):
                    card = yaml.safe_load(block)
                    if isinstance(card, dict):
                        item["cardData"] = card
            except (yaml.YAMLError, RecursionError):
                item.pop("cardData", None)  # a card the Hub cannot parse is listed without card data
        item.update(extra)
        item.update(self.listing_override.get(repo_id, {}))
        return item

    # -- serving ----------------------------------------------------------------------------------
    def route_name(self, path: str) -> str:
        p = urlsplit(path).path
        if p.startswith("/api/models/"):
            return "/api/models/{id}"
        if "/resolve/" in p:
            return "/{id}/resolve"
        if p.endswith(("/info/refs", "/git-upload-pack")):
            return "git"
        return p

    def handle(self, h: Any, method: str, path: str) -> Response | None:
        if self.token is not None and h.headers.get("Authorization") != f"Bearer {self.token}":
            return Response(401, {"error": "Invalid credentials in Authorization header"}, {"X-Error-Code": "RepoNotFound"})
        split = urlsplit(path)
        p = unquote(split.path)
        query = parse_qs(split.query)
        if p == "/api/models":
            return self._listing(query)
        if p.startswith("/api/models/"):
            rest = p[len("/api/models/"):].split("/")
            repo_id = "/".join(rest[:2])
            if repo_id not in self.models:
                return Response(404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"})
            return Response(200, self.entry(repo_id))
        if "/resolve/" in p:
            return self._resolve(p)
        if p.endswith(("/info/refs", "/git-upload-pack")):
            repo_id = "/".join(p.strip("/").split("/")[:2])
            if repo_id not in self.models:
                return Response(404, b"Repository not found\n")
            return serve_git(h, method, self.root, p, split.query)
        return Response(404, {"error": "not found"})

    def _listing(self, query: dict[str, list[str]]) -> Response:
        author = (query.get("author") or [""])[0]
        ids = sorted(i for i in self.models if i.split("/")[0] == author)
        start = int((query.get("cursor") or ["0"])[0])
        chunk = ids[start : start + self.page_size]
        headers = {}
        if start + self.page_size < len(ids):
            expand = "".join(f"&expand={e}" for e in query.get("expand", []))
            headers["Link"] = f'<{self.url}/api/models?author={author}{expand}&cursor={start + self.page_size}>; rel="next"'
        return Response(200, [self.entry(i) for i in chunk], headers)

    def _resolve(self, p: str) -> Response:
        head, _, tail = p.strip("/").partition("/resolve/")
        rev, _, file = tail.partition("/")
        if head not in self.models:
            return Response(404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"})
        sha = self._sha(head, rev)
        if sha is None:
            return Response(404, {"error": "Revision not found"}, {"X-Error-Code": "RevisionNotFound"})
        data = self._file(head, sha, file)
        if data is None:
            return Response(404, {"error": "Entry not found"}, {"X-Error-Code": "EntryNotFound", "X-Repo-Commit": sha})
        oid = self._git(head, "rev-parse", f"{sha}:{file}").stdout.decode().strip()
        return Response(200, data, {"X-Repo-Commit": sha, "ETag": f'"{oid}"', "Content-Type": "application/octet-stream"})
