"""The reliability tests run PneumoScan as a process: see ``tests/process.py``."""
