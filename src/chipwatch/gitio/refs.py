"""Resolve a revision to a commit by reading the git directory, without starting git.

A warm scan (its result already cached) needs nothing from git but the commit a
revision names, and starting ``git cat-file`` for that one answer cost more than the
rest of the scan on small repositories. For the common case — HEAD, a branch or tag
name, ``refs/...`` or a full SHA-1 in an ordinary repository — the answer is read here
from the ref files and the object store, the way git reads them.

The rule is never to name a commit git would not: :func:`resolve_commit` answers only
when it has found the object, checked that it is a commit whose content hashes to its
name and whose header git's own parser accepts, and found nothing that could make git
read the repository differently (alternates, a multi-pack-index, replace refs, grafts,
config includes, an unknown repository format, revision syntax, ambiguous or odd ref
files, a deltified pack entry). Anything else returns None and the caller asks git,
which also words the error.

A partial clone (``extensions.partialClone`` in its config) is left to git, as every
extension is. A ``.promisor`` file beside a pack, without that config, only marks where
the pack came from: git reads such a pack like any other, and so does this module.

Paths are plain strings and files are read through raw descriptors: pathlib's joins,
buffered file objects and mmap each cost more than the few bytes read here.
"""
from __future__ import annotations

import hashlib
import os
import re
import stat
import struct
import zlib
from pathlib import Path

# git follows at most this many symbolic refs (SYMREF_MAXDEPTH in refs.c).
SYMREF_MAXDEPTH = 5
# A commit larger than this is read by git: the fast path is for ordinary commits.
MAX_COMMIT_BYTES = 1 << 20
# The order in which git tries a short name (ref_rev_parse_rules in refs.c).
REV_PARSE_RULES = ("{}", "refs/{}", "refs/tags/{}", "refs/heads/{}", "refs/remotes/{}", "refs/remotes/{}/HEAD")

_HEX40 = re.compile(r"[0-9a-f]{40}")
# A loose ref holding an object id: 40 hex digits and the newline git writes.
_LOOSE_OID = re.compile(rb"([0-9a-f]{40})\n?")
# A subset of the names check_refname_format accepts: letters, digits, "._-" in
# "/"-separated components; no "..", "@", "~", "^", ":", "{", space or control byte.
_COMPONENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
# What parse_commit_buffer requires at the head of a commit (lower-case hex only: git
# also takes upper case, which is left to git).
_COMMIT_HEAD = re.compile(rb"tree ([0-9a-f]{40})\n((?:parent [0-9a-f]{40}\n)*)(?!parent )")
_LOOSE_HEADER = re.compile(rb"([a-z]+) (0|[1-9][0-9]*)\0")
_IDX_MAGIC = b"\377tOc"
_IDX_HEADER = 8 + 256 * 4  # magic, version, fan-out table
# Below this many candidate ids the rest of an index search is one read.
_IDX_WINDOW = 256
_OBJ_COMMIT = 1


class _Unsure(Exception):
    """Raised wherever git might read the repository differently from this module."""


def resolve_commit(git_dir: Path | str, rev: str) -> str | None:
    """The commit ``rev`` names in the plain SHA-1 repository ``git_dir`` (what
    ``git rev-parse rev^{commit}`` prints), or None when that cannot be told for sure
    without git — including every error, which git then reports in its own words."""
    try:
        root = os.fspath(git_dir)
        packed = _PackedRefs.read(root)
        _check_repository(root, packed)
        sha = _rev_to_oid(root, rev, packed)
        _check_commit(sha, _read_object(root, sha))
        return sha
    except (_Unsure, OSError, ValueError, IndexError, struct.error, zlib.error):
        return None


# -- files ------------------------------------------------------------------------------
def _read_file(path: str, limit: int) -> bytes:
    """Up to ``limit`` bytes of ``path`` (FileNotFoundError when absent)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.read(fd, limit)
    finally:
        os.close(fd)


def _pread(fd: int, size: int, at: int) -> bytes:
    """Exactly ``size`` bytes at ``at``: a short read means a truncated file."""
    data = os.pread(fd, size, at)
    if len(data) != size:
        raise _Unsure("truncated file")
    return data


# -- the repository ---------------------------------------------------------------------
def _check_repository(root: str, packed: "_PackedRefs") -> None:
    """Refuse what changes which objects or refs git sees: other object stores, a
    multi-pack-index, replacement objects (loose or packed refs/replace/), grafts, a
    shared (worktree) directory, and config this module does not read (includes,
    extensions, formats above 1)."""
    for unusual in ("objects/info/alternates", "objects/pack/multi-pack-index", "info/grafts", "commondir"):
        if os.path.lexists(f"{root}/{unusual}"):
            raise _Unsure(unusual)
    try:
        if os.listdir(f"{root}/refs/replace"):
            raise _Unsure("replace refs")
    except FileNotFoundError:
        pass
    if packed.has_prefix("refs/replace/"):
        raise _Unsure("packed replace refs")
    try:
        config = _read_file(f"{root}/config", 1 << 20).lower()
    except FileNotFoundError:
        return
    if b"include" in config or b"extensions" in config or b"worktree" in config:
        raise _Unsure("config")
    versions = re.findall(rb"repositoryformatversion\s*=\s*(\S*)", config)
    if config.count(b"repositoryformatversion") != len(versions) or any(v not in (b"0", b"1") for v in versions):
        raise _Unsure("repository format")


# -- revision → object id ----------------------------------------------------------------
def _rev_to_oid(root: str, rev: str, packed: "_PackedRefs") -> str:
    """The object id ``rev`` names: itself when a full SHA-1, else the first ref git's
    rules find for it (HEAD is the first rule's only name read here)."""
    if _HEX40.fullmatch(rev):
        return rev
    if len(rev) == 40 and all(c in "0123456789abcdefABCDEF" for c in rev):
        raise _Unsure("upper-case object name")  # git takes it as an object name, not a ref
    if not _is_simple_refname(rev):
        raise _Unsure("revision syntax")
    for rule in REV_PARSE_RULES:
        name = rule.format(rev)
        oid = _read_ref(root, name, packed)
        if oid is None:
            continue
        if not (name == "HEAD" or name.startswith("refs/")):
            raise _Unsure("a file in the git directory")  # FETCH_HEAD, config, ...
        return oid
    raise _Unsure("no such ref")


def _is_simple_refname(name: str) -> bool:
    """Whether ``name`` is a ref name git would take as it is (a conservative subset)."""
    parts = name.split("/")
    return all(_COMPONENT.fullmatch(p) and not p.endswith((".", ".lock")) for p in parts) and ".." not in name


def _read_ref(root: str, name: str, packed: "_PackedRefs", depth: int = 0) -> str | None:
    """The object id of ref ``name`` (loose file first, then packed-refs, following
    symbolic refs), None when there is no such ref; _Unsure for anything odd, a
    dangling symbolic ref included (git would try the next rule, or report it)."""
    if depth >= SYMREF_MAXDEPTH:
        raise _Unsure("symbolic ref loop")
    path = f"{root}/{name}"
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return packed.get(name)
    except NotADirectoryError:
        raise _Unsure("a ref below a file") from None
    if not stat.S_ISREG(st.st_mode):
        raise _Unsure("not a regular file")  # a directory, or an old-style symlink ref
    content = _read_file(path, 4096)
    if content.startswith(b"ref:"):
        target = content[4:].strip().decode("ascii")
        if not (target.startswith("refs/") and _is_simple_refname(target)):
            raise _Unsure("symbolic ref target")
        oid = _read_ref(root, target, packed, depth + 1)
        if oid is None:
            raise _Unsure("dangling symbolic ref")  # an unborn branch: git says "empty"
        return oid
    m = _LOOSE_OID.fullmatch(content)
    if m is None:
        raise _Unsure("loose ref content")
    return m.group(1).decode("ascii")


class _PackedRefs:
    """The ``packed-refs`` file (loose refs override it), searched as git searches it.

    Git writes it sorted and says so in its header (the ``sorted`` trait); such a file
    is bisected record by record exactly as git does (``find_reference_location`` in
    packed-backend.c), so that a lookup costs microseconds among 50,000 tags and lands
    where git's lands. A file without the trait, which git sorts before searching, is
    searched linearly here, and a name listed twice in it is left to git."""

    HEADER = b"# pack-refs with:"

    def __init__(self, data: bytes):
        self._data, self._start, self._sorted = data, 0, False
        if data.startswith(b"#"):
            eol = data.find(b"\n")
            if eol == -1 or not data.startswith(self.HEADER):
                raise _Unsure("packed-refs header")  # git dies on it
            self._sorted = b"sorted" in data[len(self.HEADER):eol].split(b" ")
            self._start = eol + 1
        # git's verify_buffer_safe: a last record cut short is refused before any lookup.
        if self._start < len(data):
            if not data.endswith(b"\n") or len(data) - self._record_start(self._start, len(data) - 1) < 42:
                raise _Unsure("packed-refs last line")

    @classmethod
    def read(cls, root: str) -> "_PackedRefs":
        try:
            fd = os.open(f"{root}/packed-refs", os.O_RDONLY)
        except FileNotFoundError:
            return cls(b"")
        try:
            return cls(_pread(fd, os.fstat(fd).st_size, 0))
        finally:
            os.close(fd)

    def has_prefix(self, prefix: str) -> bool:
        """Whether any ref name starts with ``prefix``."""
        wanted = prefix.encode("ascii")
        if not self._sorted:
            return b" " + wanted in self._data
        at, _ = self._locate(wanted)
        return at < len(self._data) and self._refname(at).startswith(wanted)

    def get(self, name: str) -> str | None:
        """The id the record ``<id> <name>`` gives, None when there is none."""
        wanted = name.encode("ascii")
        if self._sorted:
            at, found = self._locate(wanted)
            return self._oid(at) if found else None
        # Ref names hold no space, so the needle matches whole names; "^" (peeled) and
        # "#" lines cannot match, as they do not start with 40 hex digits and a space.
        data, needle = self._data, b" " + wanted + b"\n"
        at = data.find(needle, self._start)
        while at != -1 and not (at - 40 == self._start or (at - 40 > self._start and data[at - 41] == 0x0A)):
            at = data.find(needle, at + 1)
        if at == -1:
            return None
        if data.find(needle, at + 1) != -1:
            raise _Unsure("packed ref listed twice")
        return self._oid(at - 40)

    def _locate(self, name: bytes) -> tuple[int, bool]:
        """(where the record for ``name`` starts, True), or (where it would, False)."""
        lo, hi = self._start, len(self._data)
        while lo != hi:
            mid = lo + (hi - lo) // 2
            rec = self._record_start(lo, mid)
            here = self._refname(rec)
            if here < name:
                lo = self._record_end(mid, hi)
            elif here > name:
                hi = rec
            else:
                return rec, True
        return lo, False

    def _record_start(self, floor: int, p: int) -> int:
        """git's find_start_of_record: back to a line start (not below ``floor``)
        that does not begin a ``^`` (peeled) line."""
        data = self._data
        while True:
            p = data.rfind(b"\n", floor, p) + 1 or floor
            if p == floor or data[p] != 0x5E:
                return p
            p -= 1

    def _record_end(self, p: int, end: int) -> int:
        """git's find_end_of_record: just past the line holding ``p`` and the ``^``
        lines that follow it (``end`` at most)."""
        data = self._data
        while True:
            nl = data.find(b"\n", p, end)
            if nl == -1 or nl + 1 >= end:
                return end
            if data[nl + 1] != 0x5E:
                return nl + 1
            p = nl + 1

    def _refname(self, rec: int) -> bytes:
        """The name of the record at ``rec``: from after its id to the line's end."""
        eol = self._data.find(b"\n", rec + 41)
        if eol == -1:
            raise _Unsure("packed-refs line")
        return self._data[rec + 41:eol]

    def _oid(self, rec: int) -> str:
        oid = self._data[rec:rec + 41].decode("ascii")
        if not (_HEX40.fullmatch(oid[:40]) and oid[40:] == " "):
            raise _Unsure("packed-refs line")
        return oid[:40]


# -- object id → commit ------------------------------------------------------------------
def _check_commit(sha: str, content: tuple[str, bytes]) -> None:
    """What git's ``parse_object`` checks before it calls an object a commit: the
    object (type and content) hashes to its name, it is a commit, and its header
    starts with a tree and parent lines."""
    typ, body = content
    if hashlib.sha1(b"%s %d\0" % (typ.encode("ascii"), len(body)) + body).hexdigest() != sha:
        raise _Unsure("hash mismatch")
    if typ != "commit":
        raise _Unsure(typ)  # a tag git would peel, or a tree/blob git reports
    head = _COMMIT_HEAD.match(body)
    if head is None or head.group(1) in head.group(2):
        raise _Unsure("commit header")  # a tree id also named as a parent fails in git


def _read_object(root: str, sha: str) -> tuple[str, bytes]:
    """(type, content) of object ``sha`` from a pack whose entry for it is stored whole,
    or loose; _Unsure when absent (git may know better, and reports it) or deltified.
    Packs first, as git looks: a mirror holds its objects there."""
    pack_dir = f"{root}/objects/pack"
    try:
        names = sorted(os.listdir(pack_dir))
    except FileNotFoundError:
        names = []
    binary = bytes.fromhex(sha)
    for name in names:
        pack = f"{pack_dir}/{name[:-4]}.pack"
        # git ignores an index whose pack is gone; so does this.
        if name.endswith(".idx") and os.path.isfile(pack):
            found = _read_packed(f"{pack_dir}/{name}", pack, binary)
            if found is not None:
                return found
    try:
        return _read_loose(_read_file(f"{root}/objects/{sha[:2]}/{sha[2:]}", MAX_COMMIT_BYTES + 64))
    except FileNotFoundError:
        raise _Unsure("no such object") from None


def _read_loose(raw: bytes) -> tuple[str, bytes]:
    """A loose object file's (type, content): zlib of ``<type> <size>\\0<content>``."""
    inflater = zlib.decompressobj()
    data = inflater.decompress(raw, MAX_COMMIT_BYTES + 64)
    if not inflater.eof:
        raise _Unsure("loose object too large or truncated")
    m = _LOOSE_HEADER.match(data)
    if m is None or int(m.group(2)) != len(data) - m.end():
        raise _Unsure("loose object header")
    return m.group(1).decode("ascii"), data[m.end():]


def _read_packed(idx_path: str, pack_path: str, binary: bytes) -> tuple[str, bytes] | None:
    """(type, content) of the object ``binary`` from this pack, None when its index
    does not list it. Only parts of the index, the pack's header and trailer and the
    one entry are read: packs and their indexes can be gigabytes."""
    fd = os.open(idx_path, os.O_RDONLY)
    try:
        idx_size = os.fstat(fd).st_size
        fanout = _idx_fanout(_pread(fd, _IDX_HEADER, 0), idx_size)
        position = _idx_position(fd, fanout, binary)
        if position is None:
            return None
        offset = _entry_offset(fd, fanout[255], position, idx_size)
        pack_id = _pread(fd, 20, idx_size - 40)
    finally:
        os.close(fd)
    fd = os.open(pack_path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        _check_pack(_pread(fd, 12, 0), _pread(fd, 20, size - 20), fanout[255], pack_id)
        if not 12 <= offset < size - 20:
            raise _Unsure("pack offset")
        typ, length, skip = _entry_header(os.pread(fd, 16, offset))
        if typ != _OBJ_COMMIT:
            raise _Unsure("pack entry type")  # deltas (6, 7) would need their bases
        if length > MAX_COMMIT_BYTES:
            raise _Unsure("large commit")
        # zlib's worst-case growth is 5 bytes per 16 KiB block plus a few: this bound holds it.
        raw = os.pread(fd, min(length + length // 100 + 1024, size - 20 - offset - skip), offset + skip)
    finally:
        os.close(fd)
    inflater = zlib.decompressobj()
    body = inflater.decompress(raw)
    if not inflater.eof or len(body) != length:
        raise _Unsure("pack entry data")
    return "commit", body


def _idx_fanout(header: bytes, idx_size: int) -> tuple[int, ...]:
    """The fan-out table of a version 2 pack index (entry 255 is the object count),
    after the checks git makes when it loads one: magic, version, a monotonic table
    and a file size that fits the count."""
    if header[:4] != _IDX_MAGIC or struct.unpack_from(">I", header, 4)[0] != 2:
        raise _Unsure("not a version 2 pack index")
    fanout = struct.unpack_from(">256I", header, 8)
    if list(fanout) != sorted(fanout):
        raise _Unsure("non-monotonic index")
    count = fanout[255]
    smallest = _IDX_HEADER + count * (20 + 4 + 4) + 40
    largest = smallest + max(count - 1, 0) * 8
    if not smallest <= idx_size <= largest:
        raise _Unsure("pack index size")
    return fanout


def _idx_position(fd: int, fanout: tuple[int, ...], binary: bytes) -> int | None:
    """The position of ``binary`` in the index's sorted id table, None when absent: a
    binary search within the range the fan-out gives for its first byte, probing one
    id per read until the rest fits one read."""
    first = binary[0]
    lo, hi = (fanout[first - 1] if first else 0), fanout[first]
    while hi - lo > _IDX_WINDOW:
        mid = (lo + hi) // 2
        here = _pread(fd, 20, _IDX_HEADER + mid * 20)
        if here == binary:
            return mid
        lo, hi = (mid + 1, hi) if here < binary else (lo, mid)
    window = _pread(fd, (hi - lo) * 20, _IDX_HEADER + lo * 20)
    at = window.find(binary)
    while at != -1 and at % 20:  # a match straddling two ids is no match
        at = window.find(binary, at + 1)
    return None if at == -1 else lo + at // 20


def _entry_offset(fd: int, count: int, position: int, idx_size: int) -> int:
    """The ``position``-th object's pack offset: 31 bits, or with the top bit set an
    index into the table of 8-byte offsets that follows (packs over 2 GiB)."""
    small = struct.unpack(">I", _pread(fd, 4, _IDX_HEADER + count * 24 + position * 4))[0]
    if not small & 0x80000000:
        return small
    at = _IDX_HEADER + count * 28 + (small & 0x7FFFFFFF) * 8
    if at + 8 > idx_size - 40:
        raise _Unsure("large offset out of range")
    return struct.unpack(">Q", _pread(fd, 8, at))[0]


def _check_pack(header: bytes, trailer: bytes, count: int, pack_id: bytes) -> None:
    """Git uses a pack only when it matches its index: signature, version 2 or 3, the
    same object count, and the trailer checksum the index records."""
    if header[:4] != b"PACK" or struct.unpack(">I", header[4:8])[0] not in (2, 3):
        raise _Unsure("not a pack")
    if struct.unpack(">I", header[8:12])[0] != count or trailer != pack_id:
        raise _Unsure("pack does not match its index")


def _entry_header(head: bytes) -> tuple[int, int, int]:
    """(type, inflated size, header length) of a pack entry: type in bits 4–6 of the
    first byte, size in its low 4 bits then 7 bits per byte while the top bit is set."""
    byte = head[0]
    typ, size, shift, used = (byte >> 4) & 7, byte & 15, 4, 1
    while byte & 0x80:
        byte = head[used]  # IndexError past 16 bytes: no real size needs that many
        size |= (byte & 0x7F) << shift
        shift, used = shift + 7, used + 1
    return typ, size, used
