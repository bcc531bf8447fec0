"""The iris classifier with a bug in predict_fn: the weights are used transposed, so every request fails inside the
model (numpy's matmul shape error) — the container answers 500 with the Python traceback, as SageMaker's do."""
import json
import os

import numpy as np

CLASSES = ["setosa", "versicolor", "virginica"]


def model_fn(model_dir):
    with open(os.path.join(model_dir, "model.pth"), "rb") as f:
        return np.load(f)


def input_fn(request_body, request_content_type):
    return np.asarray(json.loads(request_body)["instances"], dtype=np.float64)


def predict_fn(features, weights):
    logits = np.hstack([features, np.ones((features.shape[0], 1))]) @ weights.T
    return logits


def output_fn(prediction, accept):
    return json.dumps({"labels": [CLASSES[i] for i in prediction.argmax(axis=1)]}), "application/json"
