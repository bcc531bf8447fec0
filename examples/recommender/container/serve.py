"""The example recommender as a Python standard-library server: proof that any program honouring the SageMaker
container contract (SAGEMAKER_BIND_TO_PORT, SM_MODEL_DIR, GET /ping, POST /invocations) deploys on aep."""
import json
import math
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(os.environ.get("SAGEMAKER_BIND_TO_PORT", "8080"))
MODEL_DIR = os.environ.get("SM_MODEL_DIR", "/opt/ml/model")


def unit(vector):
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]


with open(os.path.join(MODEL_DIR, "catalogue.json"), encoding="utf-8") as f:
    CATALOGUE = json.load(f)
DIM = CATALOGUE["dim"]
ITEMS = [(item["item_id"], unit(item["embedding"])) for item in CATALOGUE["items"]]
BY_ID = dict(ITEMS)


def recommend(request):
    top_k = request.get("top_k", 5)
    if not isinstance(top_k, int) or not 1 <= top_k <= 100:
        raise ValueError("top_k must be an integer from 1 to 100")
    exclude = None
    if isinstance(request.get("item_id"), str):
        if request["item_id"] not in BY_ID:
            raise ValueError("unknown item_id %s" % json.dumps(request["item_id"]))
        query, exclude = BY_ID[request["item_id"]], request["item_id"]
    elif isinstance(request.get("embedding"), list) and len(request["embedding"]) == DIM:
        query = unit(request["embedding"])
    else:
        raise ValueError('request needs "item_id" or an "embedding" of %d numbers' % DIM)
    scored = [(sum(a * b for a, b in zip(query, vec)), item_id) for item_id, vec in ITEMS if item_id != exclude]
    scored.sort(key=lambda s: (-s[0], s[1]))
    return {"recommendations": [{"item_id": i, "score": round(s, 4)} for s, i in scored[:top_k]]}


class Handler(BaseHTTPRequestHandler):
    def reply(self, status, body):
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.reply(200, {"status": "healthy"}) if self.path == "/ping" else self.reply(404, {"error": "no route"})

    def do_POST(self):
        if self.path != "/invocations":
            return self.reply(404, {"error": "no route"})
        length = int(self.headers.get("Content-Length", "0"))
        try:
            request = json.loads(self.rfile.read(length) or b"null")
            if not isinstance(request, dict):
                raise ValueError("request must be a JSON object")
            self.reply(200, recommend(request))
        except ValueError as error:
            self.reply(400, {"error": str(error)})

    def log_message(self, fmt, *args):
        sys.stderr.write("recommender.py: " + (fmt % args) + "\n")


server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
print("recommender.py: %d items on 127.0.0.1:%d" % (len(ITEMS), PORT), flush=True)
server.serve_forever()
