"""Rendered documents: the national survey report (HTML and PDF)."""
