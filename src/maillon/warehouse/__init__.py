"""Maillon warehouse package."""
