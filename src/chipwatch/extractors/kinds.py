"""What kind of file a path is, and what is out of scope before reading a byte.

Decisions by path only (cheap, made for every entry of a tree); content checks
(binary, LFS pointer) come later in ``content_skip_reason``.
"""
from __future__ import annotations

from functools import lru_cache

CODE_EXT = {
    ".py", ".pyi", ".pyx", ".pxd", ".cu", ".cuh", ".c", ".cc", ".cpp", ".cxx", ".h", ".hh",
    ".hpp", ".hxx", ".inl", ".rs", ".go", ".java", ".kt", ".scala", ".js", ".mjs", ".ts",
    ".jl", ".lua", ".r", ".m", ".mm", ".swift", ".cs", ".rb", ".php", ".triton", ".mlir",
    ".proto", ".cmake",
}
SCRIPT_EXT = {".sh", ".bash", ".zsh", ".ksh", ".slurm", ".sbatch", ".pbs", ".lsf", ".bat", ".ps1", ".cmd", ".mk"}
SCRIPT_NAMES = {"makefile", "gnumakefile", "justfile", "procfile", "containerfile", "singularity", "apptainer"}
CONFIG_EXT = {
    ".json", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf", ".env", ".properties",
    ".xml", ".gin", ".jsonnet", ".libsonnet", ".hcl", ".tf", ".def",
}
CONFIG_NAMES = {
    "requirements.txt", "environment.yml", "setup.py", "setup.cfg", "pyproject.toml",
    "cmakelists.txt", "meson.build", "build", "workspace", "dockerignore", ".env",
}
DOC_EXT = {".md", ".markdown", ".rst", ".txt", ".adoc", ".org", ".tex", ".html", ".htm", ".mdx"}
NOTEBOOK_EXT = {".ipynb"}

BINARY_EXT = {
    ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".ico", ".webp", ".tif", ".tiff", ".svgz",
    ".mp3", ".wav", ".flac", ".ogg", ".mp4", ".mov", ".avi", ".mkv", ".webm",
    ".zip", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".7z", ".rar", ".tar", ".whl", ".egg",
    ".so", ".dll", ".dylib", ".a", ".o", ".obj", ".exe", ".bin", ".pyc", ".pyo", ".class", ".jar",
    ".ttf", ".otf", ".woff", ".woff2", ".eot",
    ".pt", ".pth", ".ckpt", ".safetensors", ".onnx", ".pb", ".tflite", ".h5", ".hdf5",
    ".npy", ".npz", ".pkl", ".pickle", ".joblib", ".gguf", ".ggml", ".engine", ".plan", ".msgpack",
    ".db", ".sqlite", ".sqlite3", ".lmdb", ".mdb", ".idx", ".pack",
}
DOCUMENT_EXT = {".pdf", ".doc", ".docx", ".ppt", ".pptx", ".xls", ".xlsx", ".key", ".odt", ".epub"}
DATA_EXT = {
    ".csv", ".tsv", ".jsonl", ".ndjson", ".parquet", ".arrow", ".feather", ".avro", ".orc",
    ".tfrecord", ".record", ".vocab", ".spm", ".tiktoken", ".bpe", ".svg", ".log", ".out",
    ".lock", ".sum", ".map", ".min.js", ".min.css", ".css",
}
TOKENIZER_NAMES = {
    "tokenizer.json", "vocab.json", "vocab.txt", "merges.txt", "tokenizer.model",
    "spiece.model", "sentencepiece.model", "sentencepiece.bpe.model", "qwen.tiktoken",
    "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json", "vocab.bpe",
    "bpe.codes", "dict.txt",
}
LICENSE_PREFIXES = ("license", "licence", "copying", "notice", "third_party_notices", "thirdpartynotices", "third-party-notices", "patents", "authors")
LOCK_NAMES = {"package-lock.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock", "cargo.lock", "pipfile.lock", "uv.lock", "go.sum", "composer.lock"}
VENDORED_DIRS = {
    "third_party", "third-party", "thirdparty", "3rdparty", "3rd_party", "3rd-party", "vendor",
    "vendored", "_vendor", "external", "externals", "extern", "node_modules", "site-packages",
    "dist-packages", "bower_components", ".git", "__pycache__", ".venv", "venv", ".tox", ".eggs",
}
DATASET_DIRS = {"datasets", "dataset"}
# Folders whose JSON and text files are data (samples, corpora), not configuration.
DATA_DIRS = {"data", "corpus", "corpora", "samples", "test_data", "testdata"}
DATA_DIR_EXT = {".json", ".txt", ".xml"}


def _ext(name: str) -> str:
    if name.endswith(".min.js") or name.endswith(".min.css"):
        return name[name.index(".min.") :]
    dot = name.rfind(".")
    return name[dot:] if dot > 0 else ""


def dir_skip_reason(dirpath: str) -> str | None:
    """Why a whole folder is left out (checked once per folder during the tree walk)."""
    name = dirpath.rsplit("/", 1)[-1].lower()
    if name in VENDORED_DIRS:
        return "vendored"
    return None


@lru_cache(maxsize=1 << 16)
def classify(path: str) -> tuple[str, str | None]:
    """(kind, skip reason or None) for a file path.

    Kinds: code, config, script, doc, notebook, data. A kind of ``data`` always comes
    with a skip reason.
    """
    name = path.rsplit("/", 1)[-1]
    lower = name.lower()
    ext = _ext(lower)
    parts = path.lower().split("/")[:-1]
    if any(p in DATASET_DIRS for p in parts) and ext not in CODE_EXT and ext not in SCRIPT_EXT and ext not in NOTEBOOK_EXT and lower not in ("readme.md",):
        return "data", "dataset"
    if ext in DATA_DIR_EXT and any(p in DATA_DIRS for p in parts) and not lower.startswith(("requirements", "readme")):
        return "data", "dataset"
    if lower in TOKENIZER_NAMES or ext in (".tiktoken", ".spm", ".vocab", ".bpe"):
        return "data", "tokenizer"
    if lower in LOCK_NAMES:
        return "data", "lockfile"
    if lower.startswith(LICENSE_PREFIXES) and (ext in ("", ".txt", ".md", ".rst") or lower.count(".") <= 1):
        return "doc", "license"
    if ext in DOCUMENT_EXT:
        return "data", "pdf" if ext == ".pdf" else "document"
    if ext in BINARY_EXT:
        return "data", "binary"
    if ext in DATA_EXT:
        return "data", "dataset" if ext not in (".min.js", ".min.css", ".css", ".map", ".lock", ".sum", ".svg", ".log", ".out") else "generated"
    if ext in NOTEBOOK_EXT:
        return "notebook", None
    if lower.startswith("dockerfile") or lower.endswith(".dockerfile") or lower in SCRIPT_NAMES or ext in SCRIPT_EXT:
        return "script", None
    if lower in CONFIG_NAMES or lower.startswith("requirements") and ext in (".txt", ".in") or ext in CONFIG_EXT:
        return "config", None
    if ext in CODE_EXT:
        return "code", None
    if ext in DOC_EXT or lower.startswith("readme") or lower in ("changelog", "changes", "history"):
        return "doc", None
    if ext == "":
        # Extension-less files: executables scripts often (run, train), or docs.
        return "script", None
    return "data", "unknown-type"


def content_skip_reason(head: bytes) -> str | None:
    """Why a blob is left out after reading its first bytes (binary, LFS pointer)."""
    if head.startswith(b"version https://git-lfs.github.com/spec/"):
        return "lfs-pointer"
    if b"\x00" in head[:8192]:
        return "binary"
    return None
