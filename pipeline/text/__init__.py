"""Text with offsets back to the raw page, and Chinese numerals: no rules, no stages."""
