"""Maillon returns package."""
