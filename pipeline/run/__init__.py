"""Running stages over inputs: sources, shards, engines, the stage cache, publishing tables."""
