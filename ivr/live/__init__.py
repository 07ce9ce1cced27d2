"""What is happening on the line now: each service publishes it, the wallboard merges it."""
