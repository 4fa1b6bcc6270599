"""Maillon demo package."""
