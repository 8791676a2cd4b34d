"""Lantern: open neighbourhood-level COVID-19 risk and vulnerability mapping."""

__version__ = "0.1.0"
