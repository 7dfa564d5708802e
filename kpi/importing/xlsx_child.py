"""Open an uploaded workbook only in a child process with a memory and a time limit.

calamine, the reader, is native code: one cell at XFD1048576 makes it ask for 512 GiB and abort
the whole process, and with it the web server. So every workbook is inspected (xlsx_guard) and
read in a child process: an abort, an allocation failure or a timeout there ends the child and
refuses the file, and the server lives on.

The children are forked from multiprocessing's fork server, which has imported pandas, pyarrow
and calamine once (this module is its preload): a child starts in milliseconds instead of the
half second a fresh interpreter needs to import pandas. In the child, before anything is read:
- stderr goes to a file the parent reads back (a Rust abort writes why there, not in the log);
- RLIMIT_AS allows `parse_memory_mb` more address space than the child starts with, so an
  allocation beyond it fails (MemoryError, or a Rust abort saying "memory allocation … failed");
- RLIMIT_CPU ends it should the parent no longer be there to; the parent kills it at
  `parse_seconds` of wall time.
The sheets come back as text tables in Arrow IPC through a pipe, exactly as they were made in
the server before (same pandas reading, same cell text).
"""
from __future__ import annotations

import datetime as dt
import io
import math
import multiprocessing
import os
import resource
import signal
import tempfile
import threading
from functools import cache
from multiprocessing import forkserver, popen_forkserver, reduction, spawn, util
from multiprocessing.context import ForkServerProcess, set_spawning_popen

import numpy as np
import pandas as pd
import pyarrow as pa
import python_calamine

from kpi.importing.xlsx_guard import WorkbookRefusal, ZipUnreadable, inspect_workbook
from kpi.rules import WorkbookLimits

MB = 1024 * 1024
STDERR_TAIL = 4096  # bytes read back from each end of the child's stderr to tell why it died
RUST_ALLOCATION_FAILED = b"memory allocation of"
# Touch Arrow's allocator once at import: it reserves its address space then, in the fork
# server, so a child's memory limit counts what it allocates, not the allocator's reservation.
pa.array(["kpi"]).to_pylist()


class ChildFailure(Exception):
    """The child did not answer: `reason` is a message key under import. and `params` fill it."""

    def __init__(self, reason: str, params: dict):
        super().__init__(reason, params)
        self.reason, self.params = reason, params


def cell_text(value: object) -> str:
    """A workbook cell as the user sees it: integers without '.0', dates as YYYY-MM-DD."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d") if value.time() == dt.time() else value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)


def sheet_table(frame: pd.DataFrame) -> pa.Table:
    """One sheet read by pandas as string columns c0..c{n-1} of cell text."""
    cells = frame.map(cell_text) if frame.size else frame
    return pa.table({f"c{i}": pa.array([str(v) for v in cells.iloc[:, i]], pa.string())
                     for i in range(cells.shape[1])})


def read_sheets(data: bytes, sheet: str | None, all_sheets: bool) -> tuple[list[str], dict[str, pa.Table]]:
    """(every sheet name, the chosen sheets as text tables): all sheets, the named one, or the
    first; a name the workbook lacks gives no table (the caller names the sheets it has)."""
    book = pd.read_excel(io.BytesIO(data), sheet_name=None, engine="calamine", header=None, dtype=object)
    names = list(book)
    chosen = names if all_sheets else [sheet if sheet is not None else names[0]] if names else []
    return names, {name: sheet_table(book[name]) for name in chosen if name in book}


def sheet_names(data: bytes) -> list[str]:
    """The sheet names as calamine lists them (it opens the workbook, no sheet)."""
    return list(python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).sheet_names)


def _ipc(table: pa.Table) -> pa.Buffer:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def _address_space() -> int:
    """This process's virtual memory size in bytes (VmSize)."""
    with open("/proc/self/status", "rb") as fh:
        for line in fh:
            if line.startswith(b"VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _limit_resources(limits: WorkbookLimits) -> None:
    """RLIMIT_AS: `parse_memory_mb` above what the child already maps; RLIMIT_CPU: just past
    `parse_seconds` (the parent kills it at that wall time; this holds if the parent is gone)."""
    for kind, want in ((resource.RLIMIT_AS, _address_space() + limits.parse_memory_mb * MB),
                       (resource.RLIMIT_CPU, math.ceil(limits.parse_seconds) + 1)):
        _soft, hard = resource.getrlimit(kind)
        value = want if hard == resource.RLIM_INFINITY else min(want, hard)
        resource.setrlimit(kind, (value, value if hard == resource.RLIM_INFINITY else hard))


def _answer(task: str, data: bytes, sheet: str | None, all_sheets: bool, limits: WorkbookLimits) -> tuple:
    """What the child sends back: ('ok', value) | ('refused', key, params) | ('unreadable', detail).
    A ZIP the standard library cannot read is still given to calamine, so a damaged file gets
    the reader's own message as before; were calamine to read it, it is refused all the same
    (nothing uninspected is ever loaded)."""
    unreadable = None
    try:
        inspect_workbook(data, limits, cells=task == "read")
    except WorkbookRefusal as refusal:
        return ("refused", refusal.reason, refusal.params)
    except ZipUnreadable as exc:
        unreadable = str(exc)
    try:
        value = read_sheets(data, sheet, all_sheets) if task == "read" else sheet_names(data)
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException as exc:  # calamine's own errors, and Rust panics (PanicException is a BaseException)
        return ("unreadable", str(exc)[:200])
    if unreadable is not None:
        return ("unreadable", unreadable[:200])
    return ("ok", value)


def _child(conn, task: str, data: bytes, sheet: str | None, all_sheets: bool, limits: WorkbookLimits,
           stderr_path: str) -> None:
    """The child process: limits first, then inspect and read, then answer through `conn`."""
    with open(stderr_path, "wb") as err:
        os.dup2(err.fileno(), 2)
    os.environ["RUST_BACKTRACE"] = "0"  # a Rust abort's reason, without pages of backtrace
    _limit_resources(limits)
    try:
        answer = _answer(task, data, sheet, all_sheets, limits)
    except MemoryError:
        answer = ("memory",)
    if answer[0] == "ok" and task == "read":
        names, tables = answer[1]
        try:
            buffers = [_ipc(table) for table in tables.values()]
        except MemoryError:
            conn.send(("memory",))
            return
        conn.send(("ok", names, list(tables)))
        for buffer in buffers:
            conn.send_bytes(buffer)
    else:
        conn.send(answer)
    conn.close()


class _Popen(popen_forkserver.Popen):
    """multiprocessing's fork-server Popen (Python 3.11's `_launch`, copied), except that the
    child is not told to run the parent's main script again: Python 3.11's fork server never
    preloads it although asked (it looks for a 'main_path' key that spawn does not write), so a
    child of `streamlit run` would import Streamlit anew, about a second. The child's target lives
    in this module, which the fork server has imported: the main script is never needed."""

    def _launch(self, process_obj):
        prep_data = {key: value for key, value in spawn.get_preparation_data(process_obj._name).items()
                     if key not in ("init_main_from_path", "init_main_from_name")}
        buf = io.BytesIO()
        set_spawning_popen(self)
        try:
            reduction.dump(prep_data, buf)
            reduction.dump(process_obj, buf)
        finally:
            set_spawning_popen(None)
        self.sentinel, w = forkserver.connect_to_new_process(self._fds)
        _parent_w = os.dup(w)
        self.finalizer = util.Finalize(self, util.close_fds, (_parent_w, self.sentinel))
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class _Process(ForkServerProcess):
    """A fork-server process started through `_Popen`."""

    @staticmethod
    def _Popen(process_obj):  # noqa: N802  (multiprocessing's name)
        return _Popen(process_obj)


@cache
def _context() -> multiprocessing.context.BaseContext:
    """The fork-server context, its server preloading this module (see module docstring)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


def _stderr_ends(path: str) -> bytes:
    """The first and the last STDERR_TAIL bytes the child wrote (a Rust abort says why first,
    then may print a long backtrace)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(STDERR_TAIL)
            fh.seek(max(len(head), os.path.getsize(path) - STDERR_TAIL))
            return head + fh.read()
    except OSError:
        return b""


def _died(process: multiprocessing.process.BaseProcess, timed_out: bool, stderr_path: str,
          limits: WorkbookLimits) -> ChildFailure:
    """Why a child ended without an answer, as a refusal."""
    process.join()
    if timed_out:
        return ChildFailure("xlsx_timeout", {"cap": f"{limits.parse_seconds:g}"})
    if RUST_ALLOCATION_FAILED in _stderr_ends(stderr_path):
        return ChildFailure("xlsx_memory", {"cap": f"{limits.parse_memory_mb} MB"})
    code = process.exitcode
    how = signal.Signals(-code).name if code is not None and code < 0 else f"exit {code}"
    return ChildFailure("xlsx_crashed", {"detail": how})


def run_in_child(task: str, data: bytes, limits: WorkbookLimits, sheet: str | None = None,
                 all_sheets: bool = False) -> tuple:
    """Inspect and read `data` in a child: ('ok', names, {name: table}) for task 'read',
    ('ok', names) for 'names', or ('refused', key, params) / ('unreadable', detail) /
    ('memory',); ChildFailure when the child died or ran out of time."""
    context = _context()
    fd, stderr_path = tempfile.mkstemp(prefix="kpi-xlsx-", suffix=".stderr")
    os.close(fd)
    reader, writer = context.Pipe(duplex=False)
    process = _Process(target=_child, args=(writer, task, data, sheet, all_sheets, limits, stderr_path),
                       name="kpi-xlsx", daemon=True)
    timed_out = threading.Event()

    def kill_when_late() -> None:
        timed_out.set()
        process.kill()

    watchdog = threading.Timer(limits.parse_seconds, kill_when_late)
    try:
        try:
            process.start()
        except OSError as exc:
            raise ChildFailure("xlsx_crashed", {"detail": f"start: {exc}"}) from None
        finally:
            writer.close()  # the child holds its end: EOF here means the child is gone
        watchdog.start()
        try:
            answer = reader.recv()
            if answer[0] == "ok" and task == "read":
                tables = {name: pa.ipc.open_stream(reader.recv_bytes()).read_all() for name in answer[2]}
                answer = ("ok", answer[1], tables)
        except (EOFError, OSError):
            raise _died(process, timed_out.is_set(), stderr_path, limits) from None
        return answer
    finally:
        watchdog.cancel()
        reader.close()
        if process.pid is not None:
            if process.is_alive():
                process.kill()
            process.join()
        os.unlink(stderr_path)
