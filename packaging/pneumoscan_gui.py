"""Frozen entry point for the ``pneumoscan-gui`` workstation."""

import sys

from desktop.app import main

if __name__ == "__main__":
    sys.exit(main())
