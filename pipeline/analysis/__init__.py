"""Analyst features over finished tables: the panel, SQL queries, spaCy export (and review)."""
