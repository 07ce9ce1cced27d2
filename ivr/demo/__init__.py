"""The built-in demo: a self-service backend, scripted callers and the dashboard."""
