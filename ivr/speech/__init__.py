"""Speech recognition with Vosk: models, recognisers, endpointing and caller audio from Asterisk."""
