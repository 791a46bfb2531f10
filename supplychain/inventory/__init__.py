"""The organisation's record of audited environments: who uses which version, and what affected it."""
