"""Bundled demo data for the quickstart."""
from .street_scenes import make_street_scenes

__all__ = ["make_street_scenes"]
