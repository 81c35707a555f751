"""PneumoScan core: load chest X-rays, preprocess them, screen them with ONNX Runtime.

The core imports neither Qt nor TensorFlow so the CLI, the GUI, training and
conversion can all share it without dragging heavy dependencies along.
"""

__version__ = "0.1.0"
