from aep_toolkit import UnsupportedFormatError  # noqa: F401


class BaseInferenceToolkitError(Exception):
    """Raise (a subclass of) this from a handler to answer with its status code and message."""

    def __init__(self, status_code, message, phrase):
        self.status_code = status_code
        self.message = message
        self.phrase = phrase
        super().__init__(status_code, message, phrase)


class GenericInferenceToolkitError(BaseInferenceToolkitError):
    def __init__(self, status_code, message=None, phrase=None):
        message = message or "Invalid Request"
        super().__init__(status_code, message, phrase or message)
