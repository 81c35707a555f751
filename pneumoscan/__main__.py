from pneumoscan.cli import entry

entry()
