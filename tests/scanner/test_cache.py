"""The scan cache is shared safely by several processes."""
from __future__ import annotations

import subprocess
import sys

from chipwatch.scanner import ScanCache
from chipwatch.scanner.cache import BlobResult
from chipwatch.signatures.match import RawFinding
from tests.helpers.gitbuild import GitRepoBuilder

WORKER = r"""
import sys
from chipwatch.scanner import ScanCache, scan_repository
from chipwatch.signatures import build_ruleset
rs = build_ruleset(sys.argv[3])
for _ in range(3):
    cache = ScanCache(sys.argv[2])
    r = scan_repository(sys.argv[1], history=True, ruleset=rs, cache=cache)
    cache.close()
print(sorted(s.signal for s in r.signals))
"""


def test_concurrent_processes_share_one_cache(tmp_path, mini_rules_dir):
    repo = GitRepoBuilder(tmp_path / "r")
    for i in range(40):
        repo.commit({f"s{i % 7}.sh": f"export NCCL_DEBUG=INFO\nexport NCCL_IB_HCA=mlx5_{i}\n", f"m{i}.md": f"model {i} on H20\n"}, date=f"2023-01-{1 + i % 28:02d}")
    cache_dir = tmp_path / "cache"
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(repo.path), str(cache_dir), str(mini_rules_dir)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-800:] for o in outs]
    assert len({o[0] for o in outs}) == 1 and "chip.h20" in outs[0][0]


def test_roundtrip_and_missing_is_never_cached(tmp_path):
    c = ScanCache(tmp_path)
    f = RawFinding("stack.nccl.env-var", 3, 5, "export NCCL_DEBUG=1", False, None, "used")
    c.put_many("rs1", {("a" * 40, "text"): BlobResult("ok", 10, (f,)), ("b" * 40, "text"): BlobResult("missing", None)})
    got = c.get_many("rs1", [("a" * 40, "text"), ("b" * 40, "text"), ("a" * 40, "ipynb1")])
    assert got == {("a" * 40, "text"): BlobResult("ok", 10, (f,))}
    assert c.get_many("rs2", [("a" * 40, "text")]) == {}  # another rule set sees nothing
    c.close()
    again = ScanCache(tmp_path)
    assert again.count("rs1") == 1
    again.close()
