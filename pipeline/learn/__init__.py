"""Training and evaluating the classifiers, and scoring records against gold."""
