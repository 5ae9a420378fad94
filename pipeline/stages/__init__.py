"""The pipeline stages (clean, segment, extract), the Stage contract and the stage registry."""
