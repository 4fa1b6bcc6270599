"""Maillon: one system for the whole e-commerce operations chain."""

__version__ = "0.1.0"
