"""Prompt audio: which prompts a flow set plays, their file names, and synthesis."""
