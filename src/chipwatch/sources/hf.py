"""``hf:<author>`` — every model repository of a Hugging Face author, through huggingface_hub.

One paginated listing with ``expand`` gives sha, dates, tags, library, ``config`` and
``safetensors`` parameter counts per dtype for every model; the model card (and
config.json when the listing has none) is downloaded with ``hf_hub_download`` at the
listed sha, and what was read is remembered per (model, sha), so an unchanged model
costs nothing on the next run. Weights are never downloaded.

Pages are requested through huggingface_hub's HTTP session, headers and error mapping,
but with chipwatch's own retry policy: the library's backoff would sleep for any
``Retry-After``, unbounded.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Iterator

from chipwatch.model import RepoRef
from chipwatch.sources.base import DiscoveryFailure, Failed, RetryLater, RetryPolicy, redact, short
from chipwatch.sources.hf_card import json_safe, parse_card, parse_config
from chipwatch.sources.state import JsonStore, default_cache_dir, identity

DEFAULT_ENDPOINT = "https://huggingface.co"
ENV_TOKEN = "HF_TOKEN"
ENV_ENDPOINT = "HF_ENDPOINT"
EXPAND = [
    "author", "sha", "lastModified", "createdAt", "tags", "library_name", "pipeline_tag",
    "config", "safetensors", "siblings", "private", "gated", "disabled", "downloads", "likes",
]
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")


def valid_hf_name(name: Any) -> bool:
    return isinstance(name, str) and bool(_NAME_RE.match(name)) and ".." not in name and "--" not in name


def _hub() -> Any:
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    import huggingface_hub

    return huggingface_hub


class HfSource:
    """Lists the model repositories of one author (user or organization) on the Hub.

    ``endpoint`` defaults to ``$HF_ENDPOINT`` then https://huggingface.co; the token to
    ``$HF_TOKEN`` (anonymous without). ``read_card=False`` skips card downloads.
    """

    platform = "hf"

    def __init__(
        self,
        author: str,
        *,
        spec: str | None = None,
        token: str | None = None,
        endpoint: str | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        read_card: bool = True,
        timeout: float = 30,
        policy: RetryPolicy | None = None,
    ):
        if not valid_hf_name(author):
            raise ValueError(f"not a Hugging Face author name: {author!r}")
        self.author = author
        self.spec = spec or f"hf:{author}"
        self._token = token if token is not None else os.environ.get(ENV_TOKEN) or None
        self.endpoint = (endpoint or os.environ.get(ENV_ENDPOINT) or DEFAULT_ENDPOINT).rstrip("/")
        self.read_card = read_card
        self.timeout = timeout
        self.policy = policy or RetryPolicy()
        root = Path(cache_dir) if cache_dir is not None else default_cache_dir() / "http"
        self._store = JsonStore(root)
        self._files_dir = root / "hf-files"
        self._scope = f"{self.endpoint}|{identity(self._token)}"
        self.calls = 0

    def __repr__(self) -> str:
        return f"HfSource({self.author!r}, endpoint={self.endpoint!r}, token={'set' if self._token else 'unset'})"

    # -- listing -----------------------------------------------------------------------------
    def _once(self, url: str, params: list[tuple[str, str]] | None) -> tuple[Any, str | None]:
        hub = _hub()
        import httpx2

        from huggingface_hub.utils import build_hf_headers, parse_ratelimit_headers

        headers = build_hf_headers(token=self._token or False, library_name="chipwatch")
        self.calls += 1
        try:
            r = hub.utils.get_session().get(url, params=params, headers=headers, timeout=self.timeout, follow_redirects=True)
            status = r.status_code
            if status == 429 or status >= 500:
                info = parse_ratelimit_headers(r.headers)
                wait: float | None = None
                if info is not None and info.remaining == 0:
                    wait = float(info.reset_in_seconds) + 1
                elif r.headers.get("retry-after", "").strip().isdigit():
                    wait = float(r.headers["retry-after"])
                raise RetryLater("rate-limited" if status == 429 else "server", f"HTTP {status} from {self.endpoint}", wait=wait)
            if status in (401, 403):
                raise Failed("auth", f"HTTP {status}: access denied to {self.author!r}")
            if status == 404:
                raise Failed("not-found", f"no Hugging Face author {self.author!r} at {self.endpoint}")
            if status == 451:
                raise Failed("dmca", f"HTTP 451 for {self.author!r}")
            if status >= 400:
                raise Failed("invalid", f"HTTP {status} from {self.endpoint}")
            body = r.json()
            return body, r.links.get("next", {}).get("url")
        except httpx2.TimeoutException as exc:
            raise RetryLater("timeout", f"no answer within {self.timeout} s") from exc
        except httpx2.RemoteProtocolError as exc:
            raise RetryLater("truncated", "response ended early") from exc
        except httpx2.TransportError as exc:
            raise RetryLater("network", redact(short(str(exc)), self._token)) from exc
        except ValueError as exc:
            raise RetryLater("truncated", f"response is not complete JSON ({short(str(exc), 80)})") from exc

    def _pages(self) -> Iterator[list[Any]]:
        url: str | None = f"{self.endpoint}/api/models"
        params: list[tuple[str, str]] | None = [("author", self.author)] + [("expand", e) for e in EXPAND]
        while url:
            body, nxt = self.policy.run(lambda: self._once(url, params))  # noqa: B023
            if not isinstance(body, list):
                raise Failed("invalid", f"listing page is not a JSON list: {short(repr(body), 120)}")
            yield body
            url, params = nxt, None  # the next link carries the query

    def discover(self) -> Iterator[RepoRef | DiscoveryFailure]:
        try:
            for page in self._pages():
                for item in page:
                    yield self._model(item)
        except Failed as exc:
            yield DiscoveryFailure(self.spec, None, exc.kind, redact(str(exc), self._token))

    # -- one model -----------------------------------------------------------------------------
    def _model(self, item: Any) -> RepoRef | DiscoveryFailure:
        repo_id = item.get("id") or item.get("modelId") if isinstance(item, dict) else None
        owner, _, name = repo_id.partition("/") if isinstance(repo_id, str) else ("", "", "")
        key = f"hf:{owner}/{name}"
        if not (valid_hf_name(owner) and valid_hf_name(name)):
            return DiscoveryFailure(self.spec, short(key, 200), "invalid", f"unusable model id {short(repr(repo_id), 200)}")
        item, problems = _sanitize(item)
        try:
            from huggingface_hub.hf_api import ModelInfo

            info = ModelInfo(**item)
        except Exception as exc:  # a listing entry with fields of the wrong type
            return DiscoveryFailure(self.spec, key, "invalid", f"unreadable listing entry: {type(exc).__name__}: {short(str(exc), 160)}")
        sha = info.sha if isinstance(info.sha, str) and re.fullmatch(r"[0-9a-f]{40}", info.sha) else None
        meta = self._metadata(info, item)
        meta.update(problems)
        if owner.lower() != self.author.lower():
            meta["moved_from"] = self.author
        ref = RepoRef("hf", owner, name, f"{self.endpoint}/{owner}/{name}", "main", sha, meta)
        if info.disabled:
            return DiscoveryFailure(self.spec, key, "dmca", "model disabled by the Hub", ref=ref)
        if sha is None:
            return DiscoveryFailure(self.spec, key, "empty", "listing has no commit sha for this model", ref=ref)
        siblings = {s.rfilename for s in (info.siblings or [])}
        files = self._files(repo_id, sha, siblings)
        if files.get("config") is None:
            files.pop("config", None)  # keep the listing's config when config.json is unusable
        meta.update(files)
        return ref

    def _metadata(self, info: Any, item: dict[str, Any]) -> dict[str, Any]:
        st = info.safetensors
        config = item.get("config")
        meta: dict[str, Any] = {
            "sha": info.sha,
            "last_modified": info.last_modified.isoformat() if info.last_modified else None,
            "created_at": info.created_at.isoformat() if info.created_at else None,
            "tags": [t for t in (info.tags or []) if isinstance(t, str)],
            "library_name": info.library_name,
            "pipeline_tag": info.pipeline_tag,
            "private": info.private,
            "gated": info.gated,
            "downloads": info.downloads,
            "likes": info.likes,
            "config": json_safe(config) if isinstance(config, dict) else None,
            "safetensors": {"parameters": json_safe(dict(st.parameters)), "total": st.total} if st is not None else None,
            "files": len(info.siblings or []),
        }
        if config is not None and not isinstance(config, dict):
            meta["config_error"] = f"listing config is a {type(config).__name__}, not an object"
        return meta

    def _files(self, repo_id: str, sha: str, siblings: set[str]) -> dict[str, Any]:
        """Card metadata and the full config.json, memoized by sha.

        The listing's ``config`` is a subset the Hub picks (architectures, model_type,
        quantization_config …): torch_dtype and MoE fields live only in config.json.
        """
        memo_key = f"{self._scope}|{repo_id}|{sha}|card={self.read_card}"
        memo = self._store.get("hf-files", memo_key)
        if isinstance(memo, dict):
            return memo
        out: dict[str, Any] = {}
        definitive = True
        for filename, wanted, parse, field in (
            ("README.md", self.read_card, parse_card, "card"),
            ("config.json", True, parse_config, "config"),
        ):
            if not wanted or filename not in siblings:
                continue
            try:
                data = self._download(repo_id, filename, sha)
            except Failed as exc:
                out[f"{field}_error"] = f"{exc.kind}: {exc}"
                definitive = False
                continue
            value, error = parse(data)
            out[field] = value
            if error:
                out[f"{field}_error"] = error
        if definitive:
            self._store.put("hf-files", memo_key, out)
        return out

    def _download(self, repo_id: str, filename: str, sha: str) -> bytes:
        hub = _hub()
        from huggingface_hub import errors

        try:
            path = hub.hf_hub_download(
                repo_id, filename, revision=sha, endpoint=self.endpoint, token=self._token or False,
                cache_dir=self._files_dir, etag_timeout=self.timeout, library_name="chipwatch",
            )
            return Path(path).read_bytes()
        except (errors.GatedRepoError, errors.DisabledRepoError) as exc:
            raise Failed("auth", redact(short(str(exc)), self._token)) from exc
        except (errors.RepositoryNotFoundError, errors.RevisionNotFoundError, errors.EntryNotFoundError) as exc:
            raise Failed("not-found", f"{filename} not found at {sha[:12]}") from exc
        except errors.HfHubHTTPError as exc:
            raise Failed("server", redact(short(str(exc)), self._token)) from exc
        except (OSError, ValueError) as exc:
            raise Failed("network", redact(short(str(exc)), self._token)) from exc


def _sanitize(item: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """A listing entry ModelInfo can parse: malformed optional fields are dropped (and
    reported), so one odd field never loses the whole model."""
    item = dict(item)
    problems: dict[str, str] = {}
    item.pop("cardData", None)  # the card is read from README.md instead
    st = item.get("safetensors")
    if st is not None and not (
        isinstance(st, dict) and isinstance(st.get("parameters"), dict) and isinstance(st.get("total"), int)
        and all(isinstance(v, int) for v in st["parameters"].values())
    ):
        item.pop("safetensors")
        problems["safetensors_error"] = "listing safetensors field is malformed"
    sib = item.get("siblings")
    if sib is not None:
        if isinstance(sib, list):
            item["siblings"] = [s for s in sib if isinstance(s, dict) and isinstance(s.get("rfilename"), str)]
        else:
            item.pop("siblings")
    for key in ("tags",):
        if key in item and not isinstance(item[key], list):
            item.pop(key)
    for key in ("lastModified", "createdAt"):
        if key in item and not isinstance(item[key], str):
            item.pop(key)
    return item, problems
