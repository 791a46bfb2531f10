"""Benchmark + end-to-end check of the advisory DB over the FULL /work/shared/data sets.

Imports the PyPA advisory DB (7,080 YAML) and the OpenSSF malicious reports (9,207 JSON) into a
temporary data dir, times the import and an audit-sized load (the pins of tests/fixtures/osv/pins.txt),
then matches EVERY (name, listed version) of every record and checks the record is found — an
end-to-end check that indexing, storage and the range evaluator agree with each record's own list.
Run: .venv/bin/python benchmarks/advisories.py
"""

from __future__ import annotations

import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from supplychain.model import PackageRef
from supplychain.sources.datastore import DataStore
from supplychain.sources.osv import match_records

DATA = Path("/work/shared/data")
PINS = Path(__file__).parent.parent / "tests" / "fixtures" / "osv" / "pins.txt"


def main() -> None:
    with tempfile.TemporaryDirectory() as root:
        store = DataStore(Path(root))
        now = datetime.now(UTC)
        for path in (
            DATA / "pypa-advisory-db" / "vulns.tar.gz",
            DATA / "malicious-pypi" / "osv-malicious-pypi.tar.gz",
        ):
            started = time.perf_counter()
            written = store.import_path(path, now=now)
            print(f"import {path.name}: {written} in {time.perf_counter() - started:.1f}s")
        for status in store.status():
            print(f"  {status.name}: {status.records} records, as of {status.as_of}")
        pins = [line.split("==") for line in PINS.read_text().split()]
        started = time.perf_counter()
        records = store.records_for(name for name, _ in pins)
        hits = 0
        for name, version in pins:
            ref = PackageRef(name=canonicalize_name(name), version=Version(version))
            hits += len(match_records(ref, records[ref.name], source="bench"))
        elapsed = time.perf_counter() - started
        print(f"audit load+match of {len(pins)} pins: {elapsed * 1000:.0f} ms, {hits} advisories")
        started = time.perf_counter()
        names = sorted(json.loads((Path(root) / "advisories.index.json").read_text()))
        names += sorted(json.loads((Path(root) / "malicious.index.json").read_text()))
        every = store.records_for(names)
        total = sum(map(len, every.values()))
        print(f"load of all {total} indexed records: {time.perf_counter() - started:.1f}s")
        checked = missed = 0
        for name, recs in every.items():
            for record in recs:
                if record.withdrawn:
                    continue
                for entry in record.affected:
                    if entry.name != name:
                        continue
                    for value in entry.versions:
                        try:
                            ref = PackageRef(name=name, version=Version(value))
                        except InvalidVersion:
                            continue
                        checked += 1
                        found = match_records(ref, [record], source="b")
                        if record.id not in {i for a in found for i in a.ids}:
                            missed += 1
                            print(f"  MISSED {record.id} {name} {value}")
        print(f"end-to-end: {checked} listed (record, version) pairs checked, {missed} missed")


if __name__ == "__main__":
    main()
