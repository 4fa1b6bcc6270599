"""analytics queries."""
