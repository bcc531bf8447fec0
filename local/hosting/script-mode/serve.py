"""aep's stand-in for the SageMaker framework containers in script mode (PyTorch, scikit-learn, XGBoost, TensorFlow,
Hugging Face inference images): serves a model.tar.gz holding code/inference.py as those images do, with the Python
standard library only. See aep_toolkit.py for the request path; this file is the container around it.

Usage: python3 serve.py [--framework pytorch|sklearn|xgboost|tensorflow|huggingface|toolkit] [serve]

Environment (as the toolkits read it):
  SAGEMAKER_BIND_TO_PORT                  port to listen on (8080)
  SM_MODEL_DIR                            the extracted model (/opt/ml/model); /opt/ml/model/... paths map to it
  SAGEMAKER_PROGRAM                       the user module in code/ (inference.py)
  SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT    Accept when the request has none or */* (application/json)
  SAGEMAKER_MODEL_SERVER_TIMEOUT(_SECONDS) seconds a request may take before it is answered 500 (60)
  SAGEMAKER_MODEL_SERVER_WORKERS          requests handled at once (CPU count); threads sharing one loaded model
  SAGEMAKER_MAX_PAYLOAD_IN_MB             larger requests are answered 413 (no limit)
"""
import builtins
import concurrent.futures
import functools
import io
import os
import re
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import aep_toolkit

SAGEMAKER_MODEL_DIR = "/opt/ml/model"
LOG = "aep script mode: "


def log(message):
    sys.stderr.write(LOG + message + "\n")
    sys.stderr.flush()


def env_int(*names, default=None):
    for name in names:
        value = os.environ.get(name)
        if value not in (None, ""):
            try:
                return int(value)
            except ValueError:
                raise SystemExit(LOG + "%s must be an integer, got %r" % (name, value))
    return default


def map_model_paths(model_dir):
    """Makes /opt/ml/model/... (hard-coded in many inference.py files) open the extracted model directory instead."""
    if os.path.realpath(model_dir) == SAGEMAKER_MODEL_DIR:
        return

    def mapped(path):
        raw = os.fspath(path) if isinstance(path, os.PathLike) else path
        if isinstance(raw, str) and (raw == SAGEMAKER_MODEL_DIR or raw.startswith(SAGEMAKER_MODEL_DIR + "/")):
            return model_dir + raw[len(SAGEMAKER_MODEL_DIR):]
        return path

    def patch(owner, name):
        original = getattr(owner, name)

        @functools.wraps(original)
        def wrapper(*args, **kwargs):
            if args:
                args = (mapped(args[0]),) + args[1:]
            for key in ("file", "path"):
                if key in kwargs:
                    kwargs[key] = mapped(kwargs[key])
            return original(*args, **kwargs)

        setattr(owner, name, wrapper)

    opener = builtins.open
    patch(builtins, "open")
    if io.open is opener:
        io.open = builtins.open
    for name in ("open", "stat", "lstat", "listdir", "scandir", "access", "chdir"):
        patch(os, name)


def requirement_names(path):
    names = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", line)
            if match and not line.startswith("-") and "://" not in line:
                names.append((match.group(0), line))
    return names


def missing_requirements(path):
    from importlib import metadata
    import importlib.util

    missing = []
    for name, line in requirement_names(path):
        try:
            metadata.version(name)
        except metadata.PackageNotFoundError:
            if importlib.util.find_spec(name.replace("-", "_").lower()) is None:
                missing.append(line)
    return missing


class Server(ThreadingHTTPServer):
    daemon_threads = True
    transformer = None
    failed = False


def make_handler(pool, timeout, max_payload):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def reply(self, status, content_type, body):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def discard(self, length):
            while length > 0:
                chunk = self.rfile.read(min(length, 1 << 16))
                if not chunk:
                    return
                length -= len(chunk)

        def do_GET(self):
            if self.path != "/ping":
                return self.reply(404, "text/plain", b"Not Found")
            ready = self.server.transformer is not None
            self.reply(200 if ready else 503, "application/json", b'{"status": "Healthy"}\n' if ready else b'{"status": "Unhealthy"}\n')

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            if self.path != "/invocations":
                self.rfile.read(length)
                return self.reply(404, "text/plain", b"Not Found")
            if max_payload is not None and length > max_payload:
                # Read (and drop) the body before answering: a server that answers and closes while the client is
                # still sending makes the client fail with EPIPE/ECONNRESET instead of seeing the 413.
                self.discard(length)
                self.close_connection = True
                return self.reply(413, "text/plain", b"Request body exceeds SAGEMAKER_MAX_PAYLOAD_IN_MB\n")
            body = self.rfile.read(length)
            transformer = self.server.transformer
            if transformer is None:
                return self.reply(503, "text/plain", b"The model is still loading\n")
            future = pool.submit(transformer.transform, body, aep_toolkit.Headers(self.headers.items()))
            try:
                status, content_type, answer = future.result(timeout=timeout)
            except concurrent.futures.TimeoutError:
                message = (
                    "The model did not answer within SAGEMAKER_MODEL_SERVER_TIMEOUT (%d s). The worker thread keeps running until "
                    "the handler returns; raise the timeout for slow models.\n" % timeout
                )
                log(message.strip())
                status, content_type, answer = 500, "text/plain; charset=utf-8", message.encode("utf-8")
            self.reply(status, content_type or "application/octet-stream", answer)

        def log_message(self, fmt, *args):
            pass  # like TorchServe, access logs stay out of the container's log stream

    return Handler


def main(argv):
    framework = argv[argv.index("--framework") + 1] if "--framework" in argv else "toolkit"
    if framework not in aep_toolkit.FRAMEWORKS:
        raise SystemExit(LOG + "unknown --framework %s (known: %s)" % (framework, ", ".join(aep_toolkit.FRAMEWORKS)))
    port = env_int("SAGEMAKER_BIND_TO_PORT", default=8080)
    model_dir = os.path.abspath(os.environ.get("SM_MODEL_DIR") or SAGEMAKER_MODEL_DIR)
    program = os.environ.get("SAGEMAKER_PROGRAM") or "inference.py"
    module_name = program[:-3] if program.endswith(".py") else program
    timeout = env_int("SAGEMAKER_MODEL_SERVER_TIMEOUT_SECONDS", "SAGEMAKER_MODEL_SERVER_TIMEOUT", default=60)
    workers = env_int("SAGEMAKER_MODEL_SERVER_WORKERS", default=os.cpu_count() or 1)
    payload_mb = env_int("SAGEMAKER_MAX_PAYLOAD_IN_MB")
    default_accept = os.environ.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT") or aep_toolkit.JSON

    map_model_paths(model_dir)
    code_dirs = [os.path.join(model_dir, "code")]
    submit = os.environ.get("SAGEMAKER_SUBMIT_DIRECTORY")
    if submit and submit.startswith("s3://"):
        raise SystemExit(
            LOG + "SAGEMAKER_SUBMIT_DIRECTORY=%s: aep does not download code from S3; put it in model.tar.gz under code/." % submit
        )
    if submit:
        code_dirs.insert(0, os.path.abspath(submit if not submit.startswith(SAGEMAKER_MODEL_DIR) else model_dir + submit[len(SAGEMAKER_MODEL_DIR):]))
    for directory in reversed(code_dirs):
        sys.path.insert(0, directory)
    sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "shim"))
    os.environ["PYTHONPATH"] = os.pathsep.join(code_dirs + [p for p in [os.environ.get("PYTHONPATH")] if p])
    os.environ["SM_MODEL_DIR"] = model_dir

    missing = []
    requirements = os.path.join(model_dir, "code", "requirements.txt")
    if os.path.exists(requirements):
        missing = missing_requirements(requirements)
        if missing:
            log(
                "code/requirements.txt lists packages that %s does not have: %s. The SageMaker container would pip-install "
                "them at start-up; aep runs offline and installs nothing. Install them into that interpreter or point "
                '"frameworks.python" in aep.local.json at one that has them.' % (sys.executable, ", ".join(missing))
            )

    server = Server(("127.0.0.1", port), make_handler(concurrent.futures.ThreadPoolExecutor(max_workers=max(1, workers)), timeout, payload_mb * 1024 * 1024 if payload_mb else None))
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    log("%s framework on 127.0.0.1:%d, model %s, program %s, %d workers, python %s" % (framework, port, model_dir, program, workers, sys.executable))

    try:
        transformer = aep_toolkit.Transformer(framework, module_name, model_dir, default_accept)
        if transformer.user_module is None:
            log("no module %s in %s: using the %s container's default handlers" % (module_name, code_dirs[-1], framework))
        elif transformer.defaulted:
            log("%s leaves out %s: using the %s container's defaults" % (program, ", ".join(transformer.defaulted), framework))
        transformer.load()
    except BaseException as error:  # noqa: BLE001 -- the container fails to start, with the reason in its log
        sys.stderr.write(aep_toolkit.user_traceback(error))
        if missing:
            log("code/requirements.txt packages missing from %s: %s" % (sys.executable, ", ".join(missing)))
        log("the model did not load: the container exits")
        sys.stderr.flush()
        os._exit(1)
    server.transformer = transformer
    log("model loaded; /ping answers 200")
    threading.Event().wait()


if __name__ == "__main__":
    main(sys.argv[1:])
