"""Loading and validating rules/ (rule files, codebook, cues, triggers, anchors)."""
