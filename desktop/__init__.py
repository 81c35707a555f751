"""PneumoScan desktop workstation (PySide6). All screening goes through ``pneumoscan``."""
