"""A throwaway PostgreSQL cluster in a temp dir on a free loopback port (tests and the benchmark)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


def postgres_bin() -> Path | None:
    """The newest ``/usr/lib/postgresql/*/bin`` holding initdb, or None when PostgreSQL is not installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Cluster:
    directory: Path
    port: int
    bin: Path
    prefix: tuple[str, ...]  # runuser when running as root (initdb refuses root)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def run(self, *args: str) -> None:
        subprocess.run([*self.prefix, *args], check=True, capture_output=True, timeout=120)

    def stop(self) -> None:
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.directory / "data"), "-m", "immediate", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)


def start_cluster() -> Cluster:
    """initdb + pg_ctl start with fsync off (throwaway data), trust auth on 127.0.0.1 only."""
    binaries = postgres_bin()
    if binaries is None:
        raise FileNotFoundError("PostgreSQL binaries not found under /usr/lib/postgresql/*/bin")
    directory = Path(tempfile.mkdtemp(prefix="supplychain-pg-"))
    prefix: tuple[str, ...] = ()
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
        prefix = ("runuser", "-u", "postgres", "--")
    cluster = Cluster(directory=directory, port=_free_port(), bin=binaries, prefix=prefix)
    data = directory / "data"
    cluster.run(
        str(binaries / "initdb"),
        "-D",
        str(data),
        "-U",
        "postgres",
        "--auth=trust",
        "--no-sync",
        "-E",
        "UTF8",
        "--locale=C",
    )
    options = (
        f"-c listen_addresses=127.0.0.1 -p {cluster.port} -k {directory} -c fsync=off -c full_page_writes=off"
    )
    cluster.run(
        str(binaries / "pg_ctl"),
        "-D",
        str(data),
        "-o",
        options,
        "-l",
        str(directory / "log"),
        "-w",
        "-t",
        "60",
        "start",
    )
    return cluster
