from aep_toolkit import ANY, CSV, JSON, NPY, UTF8_TYPES  # noqa: F401

OCTET_STREAM = "application/octet-stream"
NPZ = "application/x-npz"
