"""Maillon acquisition package."""
