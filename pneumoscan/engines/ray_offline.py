"""Ray, started so that nothing leaves the cluster.

Measured here with Ray 2.60 under strace (``tests/engines/test_ray_network.py``):

* ``RAY_USAGE_STATS_ENABLED=0`` stops usage reports, but the dashboard
  process (started even with ``include_dashboard=False``, to run the usage
  module alone) first asks the cloud-metadata address 169.254.169.254 and
  ``metadata.google.internal`` (DNS) which cloud it runs on, unless
  ``~/ray_bootstrap_config.yaml`` exists (as on clusters made by ``ray up``).
  A local instance is therefore started with ``HOME`` pointing to a private
  folder that holds a one-line config (``provider: {type: local}``);
* to learn its own address Ray connects a UDP socket to 8.8.8.8 and binds to
  the machine's outward address; ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0``
  (despite its name, the switch for "local only" on every platform) makes a
  local instance use 127.0.0.1 throughout;
* the remaining switches keep prompts and metrics exporters quiet.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

LOCAL_ONLY = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"

RAY_MISSING = (
    "--engine ray needs Ray: pip install 'pneumoscan[cluster]' "
    "(Ray is an optional extra; the desktop app and its bundle never include it)"
)

ENVIRONMENT = {
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_USAGE_STATS_PROMPT_ENABLED": "0",
    "RAY_enable_metrics_collection": "0",
    "RAY_DATA_DISABLE_PROGRESS_BARS": "1",  # the driver shows one tqdm bar, as the local engine does
    "ORT_DISABLE_TELEMETRY": "1",
}


def import_ray(local: bool = True):
    """Ray with the offline environment set first; ``ImportError`` with the install hint.

    ``local``: this process will start its own instance (Ray reads the local-only
    switch once, when it is imported)."""
    for key, value in ENVIRONMENT.items():
        os.environ[key] = value
    if local and "ray" not in sys.modules:
        os.environ[LOCAL_ONLY] = "0"
    if "requests" in sys.modules and sys.modules["requests"] is None:
        # the desktop programs block ``requests`` (pydicom's downloader); Ray's own code imports it
        # (its HTTP clients only talk to the cluster's own processes; the strace test holds it there)
        del sys.modules["requests"]
    try:
        import ray
    except ImportError as exc:
        raise ImportError(RAY_MISSING) from exc
    return ray


def init_ray(address: str | None, workers: int | None):
    """Connect to ``address`` (``ray://HEAD:10001`` or ``auto``) or start a local instance."""
    ray = import_ray(local=not address)
    if ray.is_initialized():
        return ray
    common = {
        "include_dashboard": False,
        "log_to_driver": False,
        "configure_logging": False,
        "runtime_env": {"env_vars": dict(ENVIRONMENT)},
    }
    if address:
        ray.init(address=address, **common)
        return ray
    home = Path(tempfile.mkdtemp(prefix="pneumoscan-ray-"))
    (home / "ray_bootstrap_config.yaml").write_text("provider:\n  type: local\n")
    saved = {"HOME": os.environ.get("HOME")}
    os.environ["HOME"] = str(home)  # inherited by every Ray process this instance starts
    try:
        ray.init(num_cpus=workers or os.cpu_count(), _node_ip_address="127.0.0.1", **common)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return ray
