"""Maillon api package."""
