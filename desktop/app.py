"""``pneumoscan-gui [PATH...]``: start the workstation, optionally screening PATHs at once."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from pneumoscan import __version__


def icon_path() -> Path:
    base = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parent.parent))
    return base / "desktop" / "resources" / "pneumoscan.png"


def main(argv: list[str] | None = None) -> int:
    from pneumoscan.offline import ensure_offline

    ensure_offline(block_downloaders=True)
    ap = argparse.ArgumentParser(prog="pneumoscan-gui", description="PneumoScan screening workstation")
    ap.add_argument("paths", nargs="*", help="files or folders to screen at start")
    ap.add_argument("--model", default=None, help="model manifest (default: the shipped one)")
    ap.add_argument("--quit-after", type=float, default=None, help=argparse.SUPPRESS)  # smoke tests
    ap.add_argument("--startup-probe", action="store_true", help=argparse.SUPPRESS)  # start-up benchmark
    ap.add_argument("--version", action="version", version=f"pneumoscan-gui {__version__}")
    args = ap.parse_args(argv)

    from desktop.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("PneumoScan")
    app.setOrganizationName("PneumoScan")
    app.setWindowIcon(QIcon(str(icon_path())))
    window = MainWindow(args.model)
    window.show()
    if args.paths:
        QTimer.singleShot(0, lambda: window.open_paths(args.paths))
    if args.startup_probe:  # runs once the event loop has shown the window

        def shown() -> None:
            print("PNEUMOSCAN_WINDOW_SHOWN", flush=True)
            window.close()

        QTimer.singleShot(0, shown)
    if args.quit_after is not None:
        QTimer.singleShot(int(args.quit_after * 1000), window.close)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
