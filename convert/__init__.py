"""Keras -> ONNX (tf2onnx) -> INT8 (ONNX Runtime static QDQ), verified at each step."""
