"""Maillon shipping package."""
