"""Which prompts a flow set plays, in which language and voice."""

from __future__ import annotations

from ivr.flows.effects import Prompt
from ivr.flows.model import PromptPart
from ivr.prompts.catalog import Catalog, build_catalog, resolve
from tests.flowsets import example_flowset, flowset_from_yaml


def texts(entries: Catalog) -> set[tuple[str | None, str, str | None]]:
    return {(e.prompt.text, e.prompt.language, e.prompt.voice) for e in entries.static}


def test_example_prompts_in_both_languages() -> None:
    catalog = build_catalog(example_flowset())
    static = texts(catalog)
    assert ("Sorry, I didn't hear anything.", "en", "en-us") in static
    assert ("Lo siento, no escuché nada.", "es", "es") in static
    assert ("Thank you for calling Harbor Telecom. Goodbye.", "en", "en-us") in static
    assert ("Gracias por llamar a Harbor Telecom. Adiós.", "es", "es") in static
    # A part's own voice wins over the language's voice.
    assert ("Para español, oprima 2.", "en", "es") in static
    # Model defaults are prompts too (queue callback offer, voicemail goodbye).
    assert any("callback.prompt" in w for e in catalog.static for w in e.where)
    assert any(e.prompt.text == "Thank you. Goodbye." for e in catalog.static)
    assert catalog.files == ()
    assert catalog.problems == ()


def test_variables_make_a_prompt_dynamic() -> None:
    catalog = build_catalog(example_flowset())
    dynamic = {e.prompt.text for e in catalog.dynamic}
    assert "Your balance is {balance.amount} dollars, due on {balance.due_date}." in dynamic
    assert all("{" not in (e.prompt.text or "") for e in catalog.static)
    english = {where for e in catalog.dynamic if e.prompt.language == "en" for where in e.where}
    assert {"account.ask_account.confirm_prompt", "main.sales_queue.callback.number_check"} \
        <= english


def test_each_audio_is_listed_once_with_all_its_uses() -> None:
    catalog = build_catalog(example_flowset())
    keys = [(e.prompt.text, e.prompt.language, e.prompt.voice) for e in catalog.static]
    assert len(keys) == len(set(keys))
    goodbye = next(
        e for e in catalog.static if e.prompt.text == "Goodbye." and e.prompt.language == "en"
    )
    assert goodbye.where == ("csat.bye.prompt",)


FLOWS = """
settings:
  default_language: en
  languages: [en, fr]
  voices: {en: en-gb}
flows:
  f:
    start: a
    nodes:
      a:
        type: play
        prompt:
          - {en: "Only English."}
          - "Braces {{like this}}."
          - {file: hello.wav}
          - {en: "Bad {template"}
        next: b
      b:
        type: hangup
"""


def test_fallback_language_files_literal_braces_and_problems() -> None:
    catalog = build_catalog(flowset_from_yaml(FLOWS))
    static = texts(catalog)
    # French callers hear the English text, spoken as English.
    assert ("Only English.", "en", "en-gb") in static
    assert not any(t == "Only English." and lang == "fr" for t, lang, _ in static)
    assert ("Braces {like this}.", "fr", None) in static
    assert [e.prompt.file for e in catalog.files] == ["hello.wav"]
    assert catalog.files[0].where == ("f.a.prompt",)
    assert len(catalog.problems) == 2  # once per language
    assert catalog.problems[0].startswith("f.a.prompt: ")


def test_resolve_matches_what_a_call_plays() -> None:
    settings = flowset_from_yaml(FLOWS).settings
    field: dict[str, str | PromptPart] = {"en": "Hi.", "fr": "Salut."}
    assert resolve(field, "fr", settings) == (Prompt(text="Salut.", language="fr"),)
    assert resolve(field, "de", settings) == (Prompt(text="Hi.", language="en", voice="en-gb"),)
