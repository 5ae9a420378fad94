"""The clean stage: raw pages to documents (decoding, HTML, boilerplate, articles, places, topic gate)."""
