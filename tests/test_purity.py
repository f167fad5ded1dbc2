"""src/chipwatch is the pure library: it never imports Prefect or Dask."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import chipwatch

FORBIDDEN = ("prefect", "prefect_dask", "dask", "distributed")
ROOT = Path(chipwatch.__file__).parent


def _imports(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in ("import_module", "__import__"):
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                yield node.lineno, node.args[0].value


def test_no_source_file_imports_prefect_or_dask():
    offenders = []
    files = sorted(ROOT.rglob("*.py"))
    assert len(files) > 10
    for path in files:
        for line, name in _imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if name.split(".")[0] in FORBIDDEN:
                offenders.append(f"{path.relative_to(ROOT.parent)}:{line}: {name}")
    assert not offenders, "src/chipwatch must stay Prefect- and Dask-free:\n" + "\n".join(offenders)


def test_importing_every_module_loads_neither():
    code = (
        "import pkgutil, importlib, sys, chipwatch\n"
        "names = [m.name for m in pkgutil.walk_packages(chipwatch.__path__, 'chipwatch.')]\n"
        "failed = []\n"
        "for n in names:\n"
        "    try: importlib.import_module(n)\n"
        "    except Exception as e: failed.append(f'{n}: {type(e).__name__}')\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in %r)\n"
        "print(len(names), bad, failed)\n"
        "sys.exit(1 if bad else 0)\n" % (FORBIDDEN,)
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert int(out.stdout.split()[0]) > 10
