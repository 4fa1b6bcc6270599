"""Maillon delivery package."""
