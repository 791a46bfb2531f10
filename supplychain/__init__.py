"""Audit the software supply chain of Python research environments."""

__version__ = "0.1.0"
