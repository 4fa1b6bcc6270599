"""Maillon fraud package."""
