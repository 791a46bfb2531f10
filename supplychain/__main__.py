"""``python -m supplychain``."""

from supplychain.cli import main

main()
