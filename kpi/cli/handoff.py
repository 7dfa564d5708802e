"""A command line job handed to the running dashboard, so `python -m kpi import|export|briefing|demo`
works on the default DuckDB file while the dashboard holds its lock.

The server (`serve`, called once per process when the dashboard opens its store) listens on a Unix
socket beside the store file (`<db>.sock`, mode 0600). A command that finds the store locked
(`hand_off`) connects, sends its arguments — every path made absolute, `--db` always given — as one
JSON message, and the server runs the same command (`kpi.cli.main`) in its own process on its own open
Store (kpi.cli.common.HOSTED_STORE): the process write lock and the data-version bump stay in charge,
so open pages show the new data on their next run. What the command writes to standard output and
error comes back as it is written, then its exit code; the command line prints them and exits with it.

Only the server's own OS user may hand a job over: the socket is 0600, and the peer's uid
(SO_PEERCRED) is checked on every connection. The job runs with exactly the arguments given
(`--user` scoping unchanged); files are read and written by the server process, the same user on
the same machine. Jobs run one at a time, in the order they arrive.

Wire format: request = 4-byte big-endian length + UTF-8 JSON {"argv": [...], "lang": "zh"}; answer =
frames of 1 byte kind (o stdout, e stderr, x exit code) + 4-byte length + payload.
"""
from __future__ import annotations

import argparse
import atexit
import contextvars
import hashlib
import json
import logging
import os
import socket
import struct
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from kpi import config, store
from kpi.cli import common
from kpi.i18n import DEFAULT_LANGUAGE, LANGUAGES, t

# The commands a dashboard takes over: the scripted ones (cron, scripts). `admin create` asks for a
# password on a terminal and is refused with the store's holder instead.
COMMANDS = ("import", "export", "briefing", "demo")
# Options whose value is a path, made absolute before the job leaves its working directory.
PATH_OPTIONS = ("--out", "--db")
# Options that take a value (so that value is no positional argument).
VALUE_OPTIONS = ("--out", "--db", "--lang", "--format", "--sheet", "--user", "--as-of", "--week", "--unit",
                 "--seed")
# A Unix socket path holds at most 107 bytes (sun_path); a longer one goes to the temporary folder.
_MAX_SOCKET_PATH = 100
_HEADER = struct.Struct(">I")
_MAX_REQUEST_BYTES = 1 << 20  # a job is a command line: anything longer is no job
_FRAME = struct.Struct(">cI")
_LOG = logging.getLogger(__name__)


def socket_path(db: Path) -> Path:
    """Where the dashboard of the store `db` listens: `<db>.sock` beside it, or — when that path is too
    long for a Unix socket — a name made from the store's path in a per-user temporary folder."""
    db = Path(db).resolve()
    beside = db.with_name(db.name + ".sock")
    if len(os.fsencode(beside)) <= _MAX_SOCKET_PATH:
        return beside
    digest = hashlib.sha256(os.fsencode(db)).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"dj-kpi-{os.geteuid()}" / f"{digest}.sock"


# --- the command line's side ---------------------------------------------------------------------

def _absolute(value: str, cwd: Path) -> str:
    return str(cwd / Path(value).expanduser())


def job_argv(argv: list[str], args: argparse.Namespace, cwd: Path) -> list[str]:
    """`argv` as the server must run it: paths absolute (relative to `cwd`), `--db` the store this
    command chose (--db, $DJ_DB or the default, as seen here), a briefing's default output folder
    spelled out (it is this folder, not the server's)."""
    out: list[str] = []
    tokens = iter(argv)
    positional = getattr(args, "file", None)
    for token in tokens:
        name, eq, value = token.partition("=")
        if token == "--db" or (eq and name == "--db"):
            if not eq:
                next(tokens, None)
            continue  # given once below, absolute
        if name in PATH_OPTIONS and eq:
            out.append(f"{name}={_absolute(value, cwd)}")
        elif token in PATH_OPTIONS:
            out += [token, _absolute(next(tokens, ""), cwd)]
        elif token in VALUE_OPTIONS:
            out += [token, next(tokens, "")]
        elif positional is not None and not token.startswith("-") and Path(token) == positional:
            out.append(_absolute(token, cwd))
            positional = None  # the one positional file of `import`
        else:
            out.append(token)
    if args.command == "briefing" and not any(tok == "--out" or tok.startswith("--out=") for tok in argv):
        out += ["--out", str(cwd)]
    return out + ["--db", str((cwd / common.db_path(args)).resolve())]


def _connect(path: Path) -> socket.socket | None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(os.fspath(path))
    except OSError:  # no socket, a stale one, or not ours to open: no server takes the job
        sock.close()
        return None
    return sock


def hand_off(argv: list[str], args: argparse.Namespace) -> int | None:
    """Run the command in the dashboard that holds its store; its exit code, or None when no dashboard
    answers on the store's socket (then the caller waits for the lock as before)."""
    db = common.db_path(args)
    sock = _connect(socket_path(db))
    if sock is None:
        return None
    with sock:
        request = json.dumps({"argv": job_argv(argv, args, Path.cwd()), "lang": args.lang,
                              "rules": str(config.rules_path().resolve())}).encode("utf-8")
        try:
            sock.sendall(_HEADER.pack(len(request)) + request)
        except OSError:  # it went away between connect and send: as if it had not answered
            return None
        return _print_answer(sock, args.lang)


def _recv_exactly(sock: socket.socket, size: int) -> bytes | None:
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def _print_answer(sock: socket.socket, lang: str) -> int:
    """Print the job's output frames as they arrive; its exit code (2 with a message if the server
    went away before saying it)."""
    sinks = {b"o": sys.stdout, b"e": sys.stderr}
    while True:
        head = _recv_exactly(sock, _FRAME.size)
        kind, size = _FRAME.unpack(head) if head else (b"", 0)
        payload = _recv_exactly(sock, size) if head else None
        if payload is None:
            print(t("cli.handoff_lost", lang), file=sys.stderr)
            return common.EXIT_REFUSED
        if kind == b"x":
            return int(payload.decode("ascii"))
        sink = sinks[kind]
        sink.flush()
        sink.buffer.write(payload)
        sink.buffer.flush()


# --- the dashboard's side ------------------------------------------------------------------------

class _Job:
    """One job's connection: output frames are sent as they are written; once the client is gone the
    job still runs to its end (its writes are transactions), its output is dropped."""

    def __init__(self, conn: socket.socket):
        self.conn, self.lost = conn, False
        self._lock = threading.Lock()

    def send(self, kind: bytes, payload: bytes) -> None:
        with self._lock:
            if self.lost:
                return
            try:
                self.conn.sendall(_FRAME.pack(kind, len(payload)) + payload)
            except OSError:
                self.lost = True


_JOB: contextvars.ContextVar[_Job | None] = contextvars.ContextVar("handoff_job", default=None)


class _RoutedBinary:
    """A binary stream of the dashboard process: a job's thread writes into its connection, every other
    thread (Streamlit's) to the original stream, untouched."""

    def __init__(self, original, kind: bytes):
        self._original, self._kind = original, kind

    def _payload(self, data) -> bytes:
        return bytes(data)

    def write(self, data) -> int:
        job = _JOB.get()
        if job is None:
            return self._original.write(data)
        job.send(self._kind, self._payload(data))
        return len(data)

    def flush(self) -> None:
        if _JOB.get() is None:
            self._original.flush()

    def __getattr__(self, name: str):
        return getattr(self._original, name)


class _RoutedText(_RoutedBinary):
    """sys.stdout / sys.stderr of the dashboard process, routed as `_RoutedBinary`, text sent as UTF-8;
    its `buffer` is routed the same way."""

    def __init__(self, original, kind: bytes):
        super().__init__(original, kind)
        self.buffer = _RoutedBinary(getattr(original, "buffer", original), kind)

    def _payload(self, text: str) -> bytes:
        return text.encode("utf-8")


def _route_output() -> None:
    if not isinstance(sys.stdout, _RoutedText):
        sys.stdout = _RoutedText(sys.stdout, b"o")
    if not isinstance(sys.stderr, _RoutedText):
        sys.stderr = _RoutedText(sys.stderr, b"e")


def peer_uid(conn) -> int:
    """The uid of the process at the other end of a Unix socket (SO_PEERCRED: pid, uid, gid)."""
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


def peer_refusal(conn, lang: str = DEFAULT_LANGUAGE) -> str | None:
    """The refusal for a peer of another OS user than this process's; None for our own user."""
    uid, own = peer_uid(conn), os.geteuid()
    return None if uid == own else t("cli.handoff_refused", lang, server_uid=own, uid=uid)


def _read_request(conn: socket.socket) -> tuple[list[str], str, str | None]:
    """(argv, lang, the command's rules file) of the job; ValueError when the message is not a job of a
    command taken over."""
    head = _recv_exactly(conn, _HEADER.size)
    if head is None:
        raise ValueError("no request")
    size = _HEADER.unpack(head)[0]
    if size > _MAX_REQUEST_BYTES:
        raise ValueError(f"request of {size} bytes")
    body = _recv_exactly(conn, size)
    if body is None:
        raise ValueError("truncated request")
    message = json.loads(body.decode("utf-8"))
    argv, lang, rules = message.get("argv"), message.get("lang", DEFAULT_LANGUAGE), message.get("rules")
    if (not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv)
            or argv[0] not in COMMANDS or lang not in LANGUAGES or not isinstance(rules, (str, type(None)))):
        raise ValueError(f"not a job: {str(argv)[:200]}")
    return argv, lang, rules


def rules_refusal(rules: str | None, lang: str) -> str | None:
    """The refusal for a job whose command line reads another rules file than the dashboard's
    ($DJ_RULES): the job would run with the dashboard's rules and silently count by other thresholds.
    A copy with the same content is the same rules. None when they agree."""
    if rules is None:
        return None
    own = config.rules_path().resolve()
    theirs = Path(rules)
    if theirs == own or (theirs.is_file() and own.is_file() and theirs.read_bytes() == own.read_bytes()):
        return None
    return t("cli.handoff_other_rules", lang, rules=theirs, server_rules=own)


class _Server:
    """The listening socket of one store and the thread accepting jobs on it."""

    def __init__(self, opened: store.Store, run: Callable[[list[str]], int], path: Path):
        self.store, self.run, self.path = opened, run, path
        self.jobs = threading.Lock()  # one job at a time, like one command line at a time
        self.listener = _listen(path)

    def accept_forever(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:  # closed at exit
                return
            threading.Thread(target=self.serve_one, args=(conn,), name="kpi-handoff-job", daemon=True).start()

    def serve_one(self, conn: socket.socket) -> None:
        with conn:
            job = _Job(conn)
            refused = peer_refusal(conn)
            try:  # read before answering even a refused peer: its send must not fail on a closed socket
                argv, lang, rules = _read_request(conn)
            except (ValueError, UnicodeDecodeError) as exc:
                return self._answer(job, refused or t("cli.handoff_bad_request", DEFAULT_LANGUAGE, detail=str(exc)),
                                    common.EXIT_REFUSED)
            if refused is not None:
                return self._answer(job, peer_refusal(conn, lang), common.EXIT_REFUSED)
            other_rules = rules_refusal(rules, lang)
            if other_rules is not None:
                return self._answer(job, other_rules, common.EXIT_REFUSED)
            with self.jobs:
                code = self._run(job, argv, lang)
            job.send(b"x", str(code).encode("ascii"))

    def _run(self, job: _Job, argv: list[str], lang: str) -> int:
        context = contextvars.copy_context()
        return context.run(self._run_in_context, job, argv, lang)

    def _run_in_context(self, job: _Job, argv: list[str], lang: str) -> int:
        _route_output()  # again per job: a host that swapped sys.stdout since (pytest's capture) is routed too
        _JOB.set(job)
        common.HOSTED_STORE.set(self.store)
        try:
            return self.run(argv)
        except BaseException as exc:  # noqa: BLE001  (even SystemExit: the server must go on; one message)
            return common.report_failure(exc if isinstance(exc, Exception) else RuntimeError(repr(exc)), lang)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()

    @staticmethod
    def _answer(job: _Job, message: str, code: int) -> None:
        job.send(b"e", (message + "\n").encode("utf-8"))
        job.send(b"x", str(code).encode("ascii"))

    def close(self) -> None:
        # The accepting thread is a daemon that outlives atexit: it must not keep the store (and DuckDB's
        # objects) alive into the interpreter's shutdown.
        self.store = None
        self.listener.close()
        try:
            if self.path.is_socket():
                self.path.unlink()
        except OSError:
            pass


def _listen(path: Path) -> socket.socket:
    """A listening socket at `path`, mode 0600. A socket file already there is stale: this process
    holds the store's lock, so no other dashboard of this store can be running."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.is_socket():
        path.unlink()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(os.fspath(path))
        os.chmod(path, 0o600)  # the peer's uid is checked too: this closes the door, that the window
        listener.listen(16)
    except OSError:
        listener.close()
        raise
    return listener


_SERVERS: dict[Path, _Server] = {}
_SERVERS_LOCK = threading.Lock()


def serve(opened: store.Store, run: Callable[[list[str]], int]) -> Path | None:
    """Take command line jobs for the store `opened` from now on (once per store and process); `run`
    is `kpi.cli.main`. The socket's path, or None when it cannot be made (a read-only folder): the
    dashboard works on, and commands then wait for the lock and say who holds it."""
    key = opened.path.resolve()
    with _SERVERS_LOCK:
        if key in _SERVERS:
            return _SERVERS[key].path
        path = socket_path(key)
        try:
            server = _Server(opened, run, path)
        except OSError as exc:
            _LOG.warning("command line jobs cannot be taken over: socket %s: %s", path, exc)
            return None
        _SERVERS[key] = server
        threading.Thread(target=server.accept_forever, name="kpi-handoff", daemon=True).start()
        return path


@atexit.register
def _stop_all() -> None:
    with _SERVERS_LOCK:
        servers = list(_SERVERS.values())
        _SERVERS.clear()
    for server in servers:
        server.close()


def stop(opened: store.Store) -> None:
    """Stop taking jobs for `opened` and remove its socket (tests; the dashboard's exit does it too)."""
    with _SERVERS_LOCK:
        server = _SERVERS.pop(opened.path.resolve(), None)
    if server is not None:
        server.close()
