"""Queries out: parsing, hybrid fusion, "more like this", highlighting, result assembly."""
