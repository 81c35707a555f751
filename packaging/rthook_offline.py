# PyInstaller runtime hook: runs before the frozen program's own code, so ONNX Runtime
# starts with its telemetry off and nothing can import a network downloader.
import os
import sys

os.environ["ORT_DISABLE_TELEMETRY"] = "1"
sys.modules.setdefault("requests", None)
