"""An iris classifier served by a SageMaker framework container in script mode: the file SageMaker's PyTorch, scikit-learn
and other framework images import from model.tar.gz's code/ (SAGEMAKER_PROGRAM, default inference.py). The same file
runs unchanged on AWS and on aep's built-in emulator. Weights are a (5, 3) float64 matrix — four features and a bias
row, three classes — saved with numpy.save in model.pth (a torch model would torch.load it here instead)."""
import json
import os

import numpy as np

CLASSES = ["setosa", "versicolor", "virginica"]


def model_fn(model_dir):
    with open(os.path.join(model_dir, "model.pth"), "rb") as f:
        return np.load(f)


def input_fn(request_body, request_content_type):
    if request_content_type != "application/json":
        raise ValueError("expected application/json, got %s" % request_content_type)
    return np.asarray(json.loads(request_body)["instances"], dtype=np.float64)


def predict_fn(features, weights):
    logits = np.hstack([features, np.ones((features.shape[0], 1))]) @ weights
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def output_fn(probabilities, accept):
    labels = [CLASSES[i] for i in probabilities.argmax(axis=1)]
    return json.dumps({"labels": labels, "probabilities": np.round(probabilities, 6).tolist()}), "application/json"
