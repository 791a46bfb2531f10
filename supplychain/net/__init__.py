"""Below every stage: the one HTTP door and one typed parser per PyPI API, shared by all callers."""
