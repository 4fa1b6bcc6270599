"""Maillon analytics package."""
