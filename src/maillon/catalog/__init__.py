"""Maillon catalog package."""
