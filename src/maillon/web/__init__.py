"""Maillon web package."""
