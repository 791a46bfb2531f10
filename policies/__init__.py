"""The built-in policy levels sl1-sl5, shipped as package data (``importlib.resources``)."""
