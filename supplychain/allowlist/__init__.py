"""The security team's allowlist: its file, the one coverage function (audit and curation alike), curation.

Kept import-light: the audit imports ``coverage`` alone, not the curation commands' modules.
"""
