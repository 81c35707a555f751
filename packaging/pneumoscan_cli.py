"""Frozen entry point for the ``pneumoscan`` command-line tool."""

from pneumoscan.cli import entry

if __name__ == "__main__":
    entry()
