"""``python -m supplychain``."""

from supplychain.cli import run

run()
