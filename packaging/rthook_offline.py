# PyInstaller runtime hook: runs before the frozen program's own code, so ONNX Runtime
# starts with its telemetry off and nothing can import a network downloader.
import os
import sys

os.environ["ORT_DISABLE_TELEMETRY"] = "1"
sys.modules.setdefault("requests", None)

# No TLS in the bundle (ssl and OpenSSL are left out: 6 MB, and nothing here talks TLS). pynetdicom
# imports ssl.SSLContext at module level for type hints only and uses TLS only when given an
# SSLContext, which PneumoScan never does: these stand-ins let it import; creating one says why not.
if "ssl" not in sys.modules:
    import importlib.util
    import types

    if importlib.util.find_spec("ssl") is None:

        class SSLContext:
            def __init__(self, *args, **kwargs):
                raise RuntimeError("TLS is not included in the PneumoScan bundle")

        class SSLError(OSError):
            pass

        class SSLSocket:
            pass

        _ssl = types.ModuleType("ssl", "TLS is not included in the PneumoScan bundle")
        _ssl.SSLContext, _ssl.SSLError, _ssl.SSLSocket = SSLContext, SSLError, SSLSocket
        sys.modules["ssl"] = _ssl
