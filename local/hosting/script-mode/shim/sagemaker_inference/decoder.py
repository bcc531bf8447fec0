from aep_toolkit import decode  # noqa: F401
