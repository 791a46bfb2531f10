"""``python -m supplychain``."""

from supplychain.console import run

run()
