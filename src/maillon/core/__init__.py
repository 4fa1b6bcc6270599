"""Maillon core package."""
