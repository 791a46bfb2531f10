"""Allowlist curation: the security team's approvals, trusted publishers, baselines and imports."""
