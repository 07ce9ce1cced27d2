"""One module per dashboard page, each adding its routes with ``routes(app)``."""
