"""Maillon cli package."""
