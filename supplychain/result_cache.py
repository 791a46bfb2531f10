"""Reuse of a finished audit: the same command on unchanged inputs, minutes later, prints the same report.

A pre-commit hook runs the same ``supplychain audit`` on every commit. When nothing it reads has
changed, the whole pipeline (imports, the lock, hundreds of packages' facts, the policy) ran again
to print the same bytes: 2-3 s for a 440-package lock. This keeps what an audit printed, keyed on
everything it depended on, and prints it again only while all of that is unchanged:

- the command line, the working directory, the environment (hashed whole), the interpreter, and
  supplychain's own code (every module's size and modification time) and installed packages;
- every file the run opened or looked for, seen through a Python audit hook (``open``,
  ``sqlite3.connect``, directory listings) and, while recording, ``os.stat`` calls: its size and
  modification time, and below ``HASH_LIMIT`` its sha256; a file that appears or vanishes voids
  the entry too, as does one that changed while the run read it;
- at most ``REUSE_FOR``. Facts from the network are not files: within five minutes the facts
  cache (ten minutes) would have answered a new run the same, and the unreachable-host memory
  (five minutes) would not have asked a failed host again. Index pages that a resolution reads
  (not a lock) can be up to five minutes older than a new run's.

Only runs printing to no terminal (hooks, CI, scripts), without report files (``--output``), a
baseline (git runs in a subprocess), standard input or ``--debug``, that ended 0, 1 or 3, are
kept; a run that started a process or wrote a file outside the cache and temporary directories
is never kept. ``--no-result-cache`` or ``SUPPLYCHAIN_RESULT_CACHE=off`` runs the audit again.

This module is imported before the CLI (typer, the pipeline): a reused result costs the
interpreter's start and a few stats and hashes, so it imports nothing of supplychain's at the top.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMAT = 1
REUSE_FOR = 5 * 60.0  # seconds
HASH_LIMIT = 4 * 1024 * 1024
RESULTS_DIR = "results"
OFF_FLAG = "--no-result-cache"
OFF_VALUES = frozenset({"off", "0", "false", "no"})
# Runs whose effects are more than their output, or whose inputs no file holds.
_NEVER = frozenset({OFF_FLAG, "--output", "--baseline", "--fail-on", "--debug", "--help", "-h", "-"})
_VOLATILE_ENV = frozenset({"_", "OLDPWD", "SHLVL", "PWD"})  # shell bookkeeping, not settings
_WRITES = ("w", "a", "x", "+")
_SPAWNS = ("subprocess.Popen", "os.system", "os.posix_spawn", "os.spawn", "os.exec", "os.fork")
_MODULES = (".py", ".pyc", ".so", ".pth", ".pyd")
_PACKAGE = Path(__file__).resolve().parent
_stat = os.stat  # the real one: recording replaces ``os.stat`` with an observer for the run

Fingerprint = list[Any]  # ["missing"] | ["dir", mtime_ns] | ["file", size, mtime_ns, sha256 | None]


def _cache_dir() -> Path:
    from supplychain.dirs import cache_dir  # platformdirs only: cheap

    return cache_dir()


def eligible(argv: list[str]) -> bool:
    """An ``audit`` printing to no terminal, with no flag that makes it more than its output."""
    if argv[:1] != ["audit"] or os.environ.get("SUPPLYCHAIN_RESULT_CACHE", "").lower() in OFF_VALUES:
        return False
    if any(arg.split("=", 1)[0] in _NEVER for arg in argv[1:]):
        return False
    return not any(_is_terminal(stream) for stream in (sys.stdout, sys.stderr))


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return True  # unknown: assume a person is reading


def _code_identity() -> list[Any]:
    """supplychain's files (size, mtime) and the installed packages' directories (mtime)."""
    modules = []
    for directory, dirs, files in os.walk(_PACKAGE):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in files:  # modules and the policies shipped beside them
            module = os.path.join(directory, name)
            info = _stat(module)
            modules.append((os.path.relpath(module, _PACKAGE), info.st_size, info.st_mtime_ns))
    installed = []
    for entry in sys.path:
        if entry.endswith("-packages"):
            try:
                installed.append((entry, _stat(entry).st_mtime_ns))
            except OSError:
                continue
    return [sorted(modules), installed]


def key(argv: list[str]) -> str:
    """Everything an audit's output depends on apart from the files it reads and the time."""
    environment = sorted((k, v) for k, v in os.environ.items() if k not in _VOLATILE_ENV)
    identity = [FORMAT, argv, os.getcwd(), environment, sys.executable, sys.version, _code_identity()]
    return hashlib.sha256(json.dumps(identity, separators=(",", ":")).encode()).hexdigest()


def fingerprint(path: str) -> Fingerprint:
    """What a file or directory is now, enough to tell that it changed."""
    try:
        info = _stat(path)
    except OSError:
        return ["missing"]
    if stat.S_ISDIR(info.st_mode):
        return ["dir", info.st_mtime_ns]
    digest = None
    if info.st_size <= HASH_LIMIT:
        try:
            with open(path, "rb") as stream:  # its own open is not recorded: see Recorder.saw
                digest = hashlib.sha256(stream.read()).hexdigest()
        except OSError:
            return ["unreadable", info.st_size, info.st_mtime_ns]
    return ["file", info.st_size, info.st_mtime_ns, digest]


def _entry_path(cache: Path, entry_key: str) -> Path:
    return cache / RESULTS_DIR / f"{entry_key}.json"


def replay(argv: list[str], *, now: Callable[[], float] = time.time) -> int | None:
    """Print a kept result of this very audit and return its exit code, or None to run it."""
    if not eligible(argv):
        return None
    path = _entry_path(_cache_dir(), key(argv))
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
        created, code, out, err = entry["created"], entry["exit"], entry["stdout"], entry["stderr"]
        files = entry["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if entry.get("format") != FORMAT or not isinstance(created, float | int) or not isinstance(code, int):
        return None
    if not 0 <= now() - created < REUSE_FOR or not isinstance(out, str) or not isinstance(err, str):
        return None
    if not isinstance(files, dict) or any(fingerprint(p) != was for p, was in files.items()):
        return None
    sys.stdout.write(out)
    sys.stderr.write(err)
    if "--quiet" not in argv:
        stamp = time.strftime("%H:%M:%S UTC", time.gmtime(created))
        sys.stderr.write(
            f"(the same audit's result from {stamp}: command, files and data unchanged; "
            f"{OFF_FLAG} runs it again)\n"
        )
    return code


# ---- recording ----


@dataclass(slots=True)
class Recorder:
    """What one run read and printed, collected while it runs; ``finish`` keeps it if it is safe to."""

    key: str
    cache: Path
    started: float
    skip: tuple[str, ...]  # not recorded: supplychain's own files (in the key), the cache, /proc
    interpreter: tuple[str, ...]  # Python and installed packages: their modules are in the key, not here
    writable: tuple[str, ...]  # where the run may write: the cache, the temporary directory
    bare: frozenset[str]  # the cache and temporary directories themselves: they change as the run works
    created: set[str] = field(default_factory=set)  # directories this run made, as prefixes
    seen: dict[str, Fingerprint] = field(default_factory=dict)
    unsafe: str | None = None
    out: list[str] = field(default_factory=list)
    err: list[str] = field(default_factory=list)

    def saw(self, raw: object) -> None:
        """Note a path the run opened, listed or looked for, as it is now."""
        if isinstance(raw, bytes):
            raw = os.fsdecode(raw)
        if not isinstance(raw, str | os.PathLike):
            return  # a file descriptor: its file was opened, and seen, by path
        text = os.fspath(raw)
        if text.startswith("file:"):  # an SQLite URI: file:PATH?mode=ro
            text = text[len("file:") :].split("?", 1)[0]
        path = os.path.abspath(text)
        if path in self.seen or path.startswith(self.skip) or path in self.bare:
            return
        if _inside(path).startswith(tuple(self.created)):
            return  # made by this run (a scratch directory): not an input
        if path.startswith(self.interpreter) and not self._data_file(path):
            return  # imports: modules, directories, probes for extension modules
        self.seen[path] = []  # fingerprint() opens the file: its own open must not recurse here
        self.seen[path] = fingerprint(path)

    @staticmethod
    def _data_file(path: str) -> bool:
        """A file under the interpreter's tree that is no module: e.g. a METADATA an audit reads."""
        if path.endswith(_MODULES) or ".dist-info/" in path or ".egg-info/" in path:
            return False  # installs change the packages' directory, which is in the key
        try:
            return stat.S_ISREG(_stat(path).st_mode)
        except OSError:
            return False

    def made(self, raw: object) -> None:
        """A directory this run creates (a scratch dir): what is in it is no input."""
        if isinstance(raw, bytes):
            raw = os.fsdecode(raw)
        if isinstance(raw, str | os.PathLike):
            path = os.path.abspath(os.fspath(raw))
            self.created.add(_inside(path))
            self.seen.pop(path, None)
            self.wrote(path)

    def wrote(self, raw: object) -> None:
        """A write outside the cache and temporary directories is an effect a replay would not have."""
        if isinstance(raw, bytes):
            raw = os.fsdecode(raw)
        if isinstance(raw, str | os.PathLike):
            path = os.path.abspath(os.fspath(raw))
            if not path.startswith(self.writable):
                self.unsafe = self.unsafe or f"wrote {path}"

    def finish(self, code: int) -> None:
        """Keep the result when the run was an ordinary one and nothing it read changed meanwhile."""
        if self.unsafe is not None or code not in (0, 1, 3):
            return
        if any(fingerprint(path) != was for path, was in self.seen.items()):
            return  # an input changed while the run read it: the output matches neither version
        entry = {
            "format": FORMAT,
            "created": self.started,
            "exit": code,
            "stdout": "".join(self.out),
            "stderr": "".join(self.err),
            "files": self.seen,
        }
        from supplychain.files import write_atomic

        try:
            write_atomic(_entry_path(self.cache, self.key), json.dumps(entry), private=True, durable=False)
        except OSError:
            return  # a read-only cache: nothing kept


_active: Recorder | None = None
_hooked = False


def _hook(event: str, args: tuple[Any, ...]) -> None:
    recorder = _active
    if recorder is None:
        return
    if event == "open":
        path, mode = args[0], args[1]
        flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
        if (isinstance(mode, str) and any(c in mode for c in _WRITES)) or flags & (os.O_WRONLY | os.O_RDWR):
            recorder.wrote(path)
        else:
            recorder.saw(path)
    elif event == "os.mkdir" and args:
        recorder.made(args[0])
    elif event in ("os.listdir", "os.scandir", "sqlite3.connect"):
        recorder.saw(args[0] if args else None)
    elif event.startswith(_SPAWNS):
        recorder.unsafe = recorder.unsafe or f"started a process ({event})"


class _Tee:
    """A text stream that also keeps what was written (what a replay prints).

    Its ``buffer`` keeps what is written there too: click writes bytes (and rewraps a stream it
    finds misconfigured) through ``buffer``, which would otherwise print what the kept output lacks.
    """

    def __init__(self, stream: Any, kept: list[str]) -> None:
        self.wrapped = stream
        self._kept = kept
        inner = getattr(stream, "buffer", None)
        self.buffer = None if inner is None else _BufferTee(inner, kept, getattr(stream, "encoding", None))

    def write(self, text: str) -> int:
        written: int = self.wrapped.write(text)  # a failed write is not kept
        self._kept.append(text)
        return written

    def flush(self) -> None:
        self.wrapped.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)


class _BufferTee:
    """The binary side of ``_Tee``: bytes go to the stream's buffer and, decoded, to the kept text."""

    def __init__(self, buffer: Any, kept: list[str], encoding: str | None) -> None:
        self.wrapped = buffer
        self._kept = kept
        self._encoding = encoding or "utf-8"

    def write(self, data: bytes) -> int:
        written: int = self.wrapped.write(data)
        self._kept.append(bytes(data).decode(self._encoding, "replace"))
        return written

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)


def record(argv: list[str], *, now: Callable[[], float] = time.time) -> Recorder | None:
    """Start recording this run (its reads, its output), or None when it is not one to keep."""
    global _active, _hooked  # noqa: PLW0603 - one recorder per process, as there is one run
    if not eligible(argv):
        return None
    cache = _cache_dir()
    interpreter = {_inside(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    interpreter |= {_inside(p) for p in sys.path if p.endswith("-packages")}
    recorder = Recorder(
        key=key(argv),
        cache=cache,
        started=now(),
        skip=(_inside(str(_PACKAGE)), _inside(cache), "/proc/", "/dev/", "/sys/"),
        interpreter=tuple(interpreter),
        writable=(_inside(cache), _inside(tempfile.gettempdir())),
        bare=frozenset({os.path.abspath(cache), os.path.abspath(tempfile.gettempdir())}),
    )
    if not _hooked:
        sys.addaudithook(_hook)
        _hooked = True
    _active = recorder
    _observe_stat(recorder)
    sys.stdout = _Tee(sys.stdout, recorder.out)
    sys.stderr = _Tee(sys.stderr, recorder.err)
    return recorder


def _inside(directory: str | Path) -> str:
    """``directory`` as a prefix of the paths inside it."""
    return os.path.join(os.path.abspath(directory), "")


def _observe_stat(recorder: Recorder) -> None:
    """``Path.exists``/``is_file`` and ``os.path`` probes go through ``os.stat``: note what they ask."""

    def observed(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        if _active is recorder:
            recorder.saw(path)
        return _stat(path, *args, **kwargs)

    os.stat = observed


def stop() -> None:
    """Stop recording (the run ended): ``os.stat`` and the streams as they were; the hook stays, idle."""
    global _active  # noqa: PLW0603
    _active = None
    os.stat = _stat
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if isinstance(stream, _Tee):
            setattr(sys, name, stream.wrapped)
