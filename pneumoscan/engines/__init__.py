"""Screening engines beyond the local thread pool (``Screener.screen``): Ray for archives."""
