"""The model: its manifest and schema, the one ``preprocess``, the ONNX Runtime session, site profiles.

Training, conversion, the CLI and the workstation all preprocess through
``preprocess.py``, so train and serve cannot drift apart.
"""
