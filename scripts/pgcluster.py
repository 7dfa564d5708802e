"""A private PostgreSQL cluster on a loopback port, for a DuckLake catalog in tests and on one machine.

    python scripts/pgcluster.py start DIR [--port N] [--db NAME]   # prints the DSN, leaves it running
    python scripts/pgcluster.py stop DIR

`Cluster(dir).start()` runs Debian's `initdb` into DIR/data (once), `pg_ctl start` on a free
127.0.0.1 port (its Unix socket inside DIR, so it never touches /var/run/postgresql), and creates
the catalog database; `stop()` ends it with `pg_ctl stop -m fast`. Nothing needs root, but root may
run it: PostgreSQL refuses to run as root, so then every server command runs as the `postgres`
user that Debian's package creates (DIR is handed to that user). Authentication is `trust` on
loopback only: the cluster is private to this machine's tests and demos, not a production setup.
"""
from __future__ import annotations

import argparse
import contextlib
import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

SUPERUSER = "lake"
DEFAULT_DB = "lake_catalog"


def server_bindir() -> Path:
    """The folder holding initdb / pg_ctl / postgres: PATH first, then Debian's versioned folders
    (/usr/lib/postgresql/<major>/bin, the newest), since Debian puts only the clients on PATH."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(os.path.realpath(found)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if not candidates:
        raise FileNotFoundError("PostgreSQL server binaries not found (Debian: apt-get install postgresql)")
    return Path(candidates[-1]).parent


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """One private cluster living in `root` (data, socket and log all inside it)."""

    def __init__(self, root: str | Path, port: int | None = None, dbname: str = DEFAULT_DB):
        self.root = Path(root).resolve()
        self.data = self.root / "data"
        self.socket_dir = self.root / "sock"
        self.log = self.root / "server.log"
        self.port_file = self.root / "port"
        self.port = port or (int(self.port_file.read_text()) if self.port_file.exists() else free_port())
        self.dbname = dbname
        self.bindir = server_bindir()

    # -- running the server's programs as a user PostgreSQL accepts ---------------------------------
    def _as_owner(self) -> list[str]:
        """Prefix that runs a command as `postgres` when we are root (initdb and postgres refuse root)."""
        if os.geteuid() != 0:
            return []
        return ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([*self._as_owner(), *args], check=check, capture_output=True, text=True,
                              cwd=self.root)

    def _hand_over(self) -> None:
        """Give the cluster folder to `postgres` when running as root."""
        if os.geteuid() == 0:
            entry = pwd.getpwnam("postgres")
            for path in [self.root, *self.root.rglob("*")]:
                os.chown(path, entry.pw_uid, entry.pw_gid)

    # -- lifecycle ------------------------------------------------------------------------------------
    @property
    def dsn(self) -> str:
        """The libpq connection string of the catalog database (what `ducklake:postgres:` takes)."""
        return f"dbname={self.dbname} host=127.0.0.1 port={self.port} user={SUPERUSER}"

    def running(self) -> bool:
        return self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "status", check=False).returncode == 0

    def start(self) -> Cluster:
        """initdb (first time only), start on the loopback port, create the catalog database."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        self._hand_over()
        if not (self.data / "PG_VERSION").exists():
            self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", SUPERUSER, "--auth=trust",
                      "-E", "UTF8", "--no-locale", "--no-sync")
        if not self.running():
            options = (f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 "
                       "-c fsync=off -c max_connections=200")
            result = self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                               "-o", options, "-w", "-t", "60", "start", check=False)
            if result.returncode != 0:
                log = self.log.read_text(errors="replace") if self.log.exists() else ""
                raise RuntimeError(f"pg_ctl start failed: {result.stdout}{result.stderr}\n{log[-2000:]}")
        self.port_file.write_text(str(self.port))
        self.create_database(self.dbname)
        return self

    def psql(self, sql: str, db: str = "postgres") -> str:
        """Run `sql` with psql over TCP; returns its unaligned output."""
        result = subprocess.run(
            [str(self.bindir / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER, "-d", db,
             "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True, capture_output=True, text=True)
        return result.stdout

    def create_database(self, name: str, template: str | None = None) -> None:
        """CREATE DATABASE `name` unless it exists (a lake's catalog is one database); with `template`, a
        copy of that database (which nobody may be connected to)."""
        if not re.fullmatch(r"\w+", name) or (template and not re.fullmatch(r"\w+", template)):
            raise ValueError(f"not a plain database name: {name!r} / {template!r}")
        exists = self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'").strip()
        if not exists:
            self.psql(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))

    def stop(self) -> None:
        """Fast shutdown (open sessions are ended, nothing half-written survives: PostgreSQL's WAL)."""
        if self.data.exists() and self.running():
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("dir")
    parser.add_argument("--port", type=int)
    parser.add_argument("--db", default=DEFAULT_DB)
    args = parser.parse_args(argv)
    cluster = Cluster(args.dir, args.port, args.db)
    if args.action == "start":
        cluster.start()
        print(cluster.dsn)
    else:
        with contextlib.suppress(FileNotFoundError):
            cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
