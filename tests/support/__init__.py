"""Test helpers: the loopback replay server and recorded-fixture loading."""
