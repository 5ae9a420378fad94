"""The extract stage: sentences to mentions and indicator records (rules, then the classifier)."""
