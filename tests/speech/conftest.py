"""Speech test fixtures; defined in :mod:`tests.speech.fixtures` for other packages too."""

from tests.speech.fixtures import ko_model, menu_phrases, speak

__all__ = ["ko_model", "menu_phrases", "speak"]
