"""Maillon planning package."""
