"""Zhibiao 指标: education indicators from scraped Chinese government report pages."""

__version__ = "0.1.0"
