"""Maillon inventory package."""
