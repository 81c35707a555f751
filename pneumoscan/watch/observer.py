"""File-system events for a watched folder (watchdog), with polling where events do not arrive.

Events only *offer* paths; the watch decides what is new and whole. Reads are not
arrivals: the watch's own content checks open files, and inotify reports those opens.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def start_observer(folder: Path, offer: Callable[[Path], None], poll: bool):
    """(observer, "events" or "polling"); native events fall back to polling when they cannot
    start (inotify limits, network shares); ``OSError`` when neither can."""
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer
    from watchdog.observers.polling import PollingObserver

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event):  # noqa: D401 - watchdog's name
            if event.is_directory or event.event_type in ("opened", "closed_no_write"):
                return
            for attr in ("dest_path", "src_path"):
                p = getattr(event, attr, "")
                if p:
                    offer(Path(os.fsdecode(p)))

    kinds = [(PollingObserver, "polling")] if poll else [(Observer, "events"), (PollingObserver, "polling")]
    for cls, kind in kinds:
        try:
            observer = cls(timeout=1.0) if kind == "polling" else cls()
            observer.schedule(Handler(), str(folder), recursive=True)
            observer.start()
        except Exception:  # noqa: BLE001 - e.g. inotify limits reached: poll instead
            continue
        return observer, kind
    raise OSError(f"cannot watch {folder}")
