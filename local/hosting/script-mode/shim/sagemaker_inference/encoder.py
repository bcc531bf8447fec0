from aep_toolkit import JSON, CSV, NPY, encode  # noqa: F401

SUPPORTED_CONTENT_TYPES = {JSON, CSV, NPY}
