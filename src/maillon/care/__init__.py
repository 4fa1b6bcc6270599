"""Maillon care package."""
