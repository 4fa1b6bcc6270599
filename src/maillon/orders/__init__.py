"""Maillon orders package."""
