"""aep's stand-in for the sagemaker-inference package, for inference.py files that import it (content_types, decoder,
encoder, errors). It is last on sys.path: an installed sagemaker-inference wins."""
