"""What the SageMaker inference toolkits do between the HTTP request and the user's inference.py, rewritten with the
standard library (numpy, torch, ... are imported only when a default handler needs them):

- sagemaker-inference-toolkit: handler resolution (transformer.py), the default decoder/encoder for JSON, CSV and NPY,
  the error body "<message>\\n<traceback>" with the exception's status code (500 unless it carries one).
- the framework containers' own defaults (PyTorch, scikit-learn, XGBoost, TensorFlow, Hugging Face), in FRAMEWORKS.
"""
import importlib
import importlib.util
import inspect
import io
import json
import os
import sys
import traceback

JSON = "application/json"
CSV = "text/csv"
NPY = "application/x-npy"
ANY = "*/*"
UTF8_TYPES = (JSON, CSV)


class UnsupportedFormatError(Exception):
    """The toolkit's error for a content type no default handler decodes or encodes (answered 500, as there)."""

    def __init__(self, content_type):
        super().__init__(
            "Content type %s is not supported by this framework.\n\n"
            "Please implement input_fn to to deserialize the request data or an output_fn to\n"
            "serialize the response. For more information, see the SageMaker Python SDK README." % content_type
        )


class MissingPackage(Exception):
    """A default handler needs a package the interpreter does not have: say which, and what to do instead."""

    def __init__(self, package, needed_for):
        super().__init__(
            "%s is not installed in %s, and %s needs it (as in the SageMaker container). "
            "Install it into that interpreter (numpy on Debian/Ubuntu: apt-get install python3-numpy), point "
            '"frameworks.python" in aep.local.json at an interpreter that has it, or define that function in your '
            "inference.py." % (package, sys.executable, needed_for)
        )


def _require(package, needed_for):
    try:
        return importlib.import_module(package)
    except ImportError:
        raise MissingPackage(package, needed_for) from None


# --- the toolkit's decoder and encoder -------------------------------------------------------------------------


def decode(data, content_type):
    if content_type not in (JSON, CSV, NPY):
        raise UnsupportedFormatError(content_type)
    np = _require("numpy", "decoding %s with the default input_fn" % content_type)
    if content_type == JSON:
        return np.array(json.loads(data))
    if content_type == CSV:
        return np.genfromtxt(io.StringIO(data), delimiter=",")
    return np.load(io.BytesIO(data), allow_pickle=True)


def _json_default(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError("Object of type %s is not JSON serializable" % type(value).__name__)


def encode(prediction, content_type):
    if content_type == JSON:
        return json.dumps(prediction, default=_json_default)
    if content_type == CSV:
        np = _require("numpy", "encoding text/csv with the default output_fn")
        out = io.StringIO()
        np.savetxt(out, prediction, delimiter=",", fmt="%s")
        return out.getvalue()
    if content_type == NPY:
        np = _require("numpy", "encoding application/x-npy with the default output_fn")
        out = io.BytesIO()
        np.save(out, prediction)
        return out.getvalue()
    raise UnsupportedFormatError(content_type)


# --- default handlers: the toolkit's, then each framework container's differences ------------------------------


def _no_model_fn(model_dir):
    raise NotImplementedError(
        "Please provide a model_fn implementation.\nSee documentation for model_fn at https://sagemaker.readthedocs.io/en/stable/"
    )


def _no_predict_fn(data, model):
    raise NotImplementedError(
        "Please provide a predict_fn implementation.\nSee documentation for predict_fn at https://sagemaker.readthedocs.io/en/stable/"
    )


TOOLKIT = {
    "model_fn": _no_model_fn,
    "input_fn": decode,
    "predict_fn": _no_predict_fn,
    "output_fn": lambda prediction, accept: (encode(prediction, accept), accept),
}


def _torch_model_fn(model_dir):
    torch = _require("torch", "the PyTorch container's default model_fn (torch.jit.load of model.pt)")
    path = os.path.join(model_dir, "model.pt")
    if not os.path.exists(path):
        found = [f for f in os.listdir(model_dir) if os.path.splitext(f)[1] in (".pt", ".pth") and os.path.isfile(os.path.join(model_dir, f))]
        if len(found) != 1:
            raise ValueError("Exactly one .pth or .pt file is required for PyTorch models: %s" % found)
        path = os.path.join(model_dir, found[0])
    return torch.jit.load(path, map_location=torch.device("cpu"))


def _torch_input_fn(data, content_type):
    torch = _require("torch", "the PyTorch container's default input_fn")
    array = decode(data, content_type)
    return torch.FloatTensor(array) if content_type in UTF8_TYPES else torch.from_numpy(array)


def _torch_predict_fn(data, model):
    torch = _require("torch", "the PyTorch container's default predict_fn")
    with torch.no_grad():
        model.eval()
        return model(data)


def _torch_output_fn(prediction, accept):
    if type(prediction).__module__.startswith("torch"):
        prediction = prediction.detach().cpu().numpy().tolist()
    for content_type in accept.replace(" ", "").split(","):
        if content_type in (JSON, CSV, NPY):
            encoded = encode(prediction, content_type)
            return encoded.encode("utf-8") if content_type == CSV else encoded
    raise UnsupportedFormatError(accept)


def _sklearn_input_fn(data, content_type):
    array = decode(data, content_type)
    return array.astype("float32") if content_type in UTF8_TYPES else array


def _hf_decode(data, content_type):
    if content_type != JSON:
        raise UnsupportedFormatError(content_type)
    return json.loads(data)


def _hf_model_fn(model_dir):
    _require("transformers", "the Hugging Face container's default model_fn (a transformers pipeline)")
    raise NotImplementedError("aep does not emulate the Hugging Face default pipeline loader: define model_fn in inference.py.")


def _hf_predict_fn(data, model):
    inputs = data.pop("inputs", data)
    parameters = data.pop("parameters", None)
    return model(inputs, **parameters) if parameters is not None else model(inputs)


def _hf_output_fn(prediction, accept):
    if accept != JSON:
        raise UnsupportedFormatError(accept)
    return json.dumps(prediction, default=_json_default)


def _xgboost_model_fn(model_dir):
    _require("xgboost", "the XGBoost container's default model_fn")
    raise NotImplementedError("aep does not emulate the XGBoost container's default model loader: define model_fn in inference.py.")


FRAMEWORKS = {
    "pytorch": {"model_fn": _torch_model_fn, "input_fn": _torch_input_fn, "predict_fn": _torch_predict_fn, "output_fn": _torch_output_fn},
    "sklearn": {"input_fn": _sklearn_input_fn, "predict_fn": lambda data, model: model.predict(data), "output_fn": lambda p, accept: encode(p, accept)},
    "xgboost": {"model_fn": _xgboost_model_fn, "predict_fn": lambda data, model: model.predict(data)},
    "tensorflow": {},
    # The Hugging Face container answers every handler error with 400 and the message (no traceback), JSON by default.
    "huggingface": {"model_fn": _hf_model_fn, "input_fn": _hf_decode, "predict_fn": _hf_predict_fn, "output_fn": _hf_output_fn, "error_status": 400, "default_accept": JSON},
    "toolkit": {},
}

# The TensorFlow Serving container runs these against TensorFlow Serving, which aep does not run.
TF_SERVING_HANDLERS = ("handler", "input_handler", "output_handler")


class Headers(dict):
    """Request headers, looked up case-insensitively (clients send content-type, Content-Type, ...)."""

    def __init__(self, items):
        super().__init__(items)
        self._lower = {key.lower(): value for key, value in self.items()}

    def get(self, key, default=None):
        return self._lower.get(key.lower(), default)

    def __getitem__(self, key):
        return self._lower[key.lower()]

    def __contains__(self, key):
        return isinstance(key, str) and key.lower() in self._lower


class Context:
    """The `context` argument handlers may take (a reduced MMS/TorchServe Context): system properties and headers."""

    def __init__(self, model_dir, headers=None):
        self.system_properties = {"model_dir": model_dir, "gpu_id": None, "batch_size": 1}
        self.request_processor = [_RequestProcessor(headers or {})]
        self.response_status = None
        self.response_content_type = None

    def get_request_header(self, idx, key):
        return self.request_processor[idx].get_request_property(key)

    def get_all_request_header(self, idx):
        return self.request_processor[idx].get_request_properties()

    def set_response_status(self, code=200, phrase="", idx=0):
        self.response_status = (code, phrase)

    def set_response_content_type(self, idx, value):
        self.response_content_type = value


class _RequestProcessor:
    def __init__(self, headers):
        self._headers = headers

    def get_request_properties(self):
        return self._headers

    def get_request_property(self, key):
        return self._headers.get(key)


class Transformer:
    """Resolves the user module's handlers against the framework's defaults, loads the model, transforms requests."""

    def __init__(self, framework, module_name, model_dir, default_accept):
        defaults = dict(TOOLKIT, **{k: v for k, v in FRAMEWORKS[framework].items() if callable(v)})
        self.error_status = FRAMEWORKS[framework].get("error_status")
        self.default_accept = FRAMEWORKS[framework].get("default_accept", default_accept)
        self.model_dir = model_dir
        self.model = None
        user = importlib.import_module(module_name) if importlib.util.find_spec(module_name) is not None else None
        self.user_module = user
        found = {name: getattr(user, name, None) for name in ("model_fn", "input_fn", "predict_fn", "output_fn", "transform_fn")}
        if framework == "tensorflow" and user is not None:
            tf_only = [name for name in TF_SERVING_HANDLERS if getattr(user, name, None)]
            if tf_only:
                raise ValueError(
                    "%s defines %s, which the TensorFlow Serving container runs against TensorFlow Serving; aep's built-in "
                    "emulator does not run TensorFlow Serving. Run this image with Docker (\"docker\": true in aep.local.json), "
                    "or use model_fn/predict_fn." % (module_name, ", ".join(tf_only))
                )
        if found["transform_fn"] and (found["input_fn"] or found["predict_fn"] or found["output_fn"]):
            raise ValueError("Cannot use transform_fn implementation in conjunction with input_fn, predict_fn, and/or output_fn implementation")
        self.fns = {name: found[name] or defaults.get(name) for name in ("model_fn", "input_fn", "predict_fn", "output_fn")}
        self.transform_fn = found["transform_fn"] or self._default_transform
        self.defaulted = sorted(name for name, fn in found.items() if fn is None and name != "transform_fn")

    def load(self):
        self.model = self._call(self.fns["model_fn"], Context(self.model_dir), self.model_dir)

    def transform(self, body, headers):
        """(status, content type, body bytes) for one request, errors included, as the toolkit answers them."""
        context = Context(self.model_dir, headers)
        try:
            content_type = headers.get("Content-Type")
            accept = headers.get("Accept")
            if not accept or accept == ANY:
                accept = self.default_accept
            data = body.decode("utf-8") if content_type in UTF8_TYPES else body
            result = self._call(self.transform_fn, context, self.model, data, content_type, accept)
            response_type = accept
            if isinstance(result, tuple):
                result, response_type = result[0], result[1]
            if context.response_content_type:
                response_type = context.response_content_type
            status = context.response_status[0] if context.response_status else 200
            return status, response_type, _as_bytes(result)
        except Exception as error:  # noqa: BLE001 -- every handler error becomes the HTTP answer, as in the toolkit
            trace = user_traceback(error)
            if self.error_status is not None:
                sys.stderr.write(trace)
                body = json.dumps({"code": self.error_status, "type": "InternalServerException", "message": str(error)})
                return self.error_status, JSON, body.encode("utf-8")
            status = getattr(error, "status_code", None)
            message = getattr(error, "message", None) if isinstance(status, int) else None
            status = status if isinstance(status, int) and 400 <= status <= 599 else 500
            return status, "text/plain; charset=utf-8", ("%s\n%s" % (message or str(error), trace)).encode("utf-8")

    def _default_transform(self, model, data, content_type, accept, context=None):
        decoded = self._call(self.fns["input_fn"], context, data, content_type)
        prediction = self._call(self.fns["predict_fn"], context, decoded, model)
        return self._call(self.fns["output_fn"], context, prediction, accept)

    @staticmethod
    def _call(fn, context, *args):
        """Calls a handler with or without the trailing context argument, by its arity (as the toolkit does)."""
        try:
            count = len(inspect.signature(fn).parameters)
        except (TypeError, ValueError):
            count = len(args)
        if count == len(args):
            return fn(*args)
        if count == len(args) + 1:
            return fn(*args, context)
        raise TypeError("%s takes %d arguments but %d were given." % (getattr(fn, "__name__", fn), count, len(args)))


def user_traceback(error):
    """The error's traceback without the emulator's own frames, so the user's code comes first in a 1 KB excerpt."""
    here = os.path.dirname(os.path.abspath(__file__))
    tb = error.__traceback__
    while tb is not None and os.path.dirname(os.path.abspath(tb.tb_frame.f_code.co_filename)) == here:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(error), error, tb))


def _as_bytes(result):
    if isinstance(result, (bytes, bytearray)):
        return bytes(result)
    if isinstance(result, str):
        return result.encode("utf-8")
    return json.dumps(result, default=_json_default).encode("utf-8")
