"""The prompts the engine says on its own, in every language shipped.

A flow hears these when it does not give its own text: the apology after
silence or a wrong key, a readback of keyed digits, "Did you say …?", the
callback offer, the voicemail goodbye, the survey's thanks. Flows override
them, or add a language, under ``settings.prompts`` (``{no_input: {fr: "…"}}``);
``ivr validate`` names any built-in missing for a language in
``settings.languages``. ``{value}`` is the digits read back, ``{label}`` the
option heard.
"""

from __future__ import annotations

BUILTIN_PROMPTS: dict[str, dict[str, str]] = {
    "no_input": {
        "en": "Sorry, I didn't hear anything.",
        "es": "Lo siento, no escuché nada.",
        "ko": "죄송합니다. 아무 말씀도 듣지 못했습니다.",
    },
    "no_match": {
        "en": "Sorry, that is not a valid choice.",
        "es": "Lo siento, esa no es una opción válida.",
        "ko": "죄송합니다. 올바른 선택이 아닙니다.",
    },
    "readback": {
        "en": "You entered {value}. If that is right, press 1. To try again, press 2.",
        "es": "Usted ingresó {value}. Si es correcto, oprima 1. Para intentar de nuevo, "
              "oprima 2.",
        "ko": "입력하신 번호는 {value}입니다. 맞으면 1번을, 다시 입력하시려면 2번을 눌러 주세요.",
    },
    "confirm": {
        "en": "Did you say {label}? If yes, press 1 or say yes. If not, press 2 or say no.",
        "es": "¿Dijo {label}? Si es así, oprima 1 o diga sí. Si no, oprima 2 o diga no.",
        "ko": "{label}, 맞습니까? 맞으면 1번을 누르거나 예라고 말씀해 주세요. "
              "아니면 2번을 누르거나 아니요라고 말씀해 주세요.",
    },
    "callback_offer": {
        "en": "All our agents are busy. Press 1 to be called back, or stay on the line.",
        "es": "Todos nuestros agentes están ocupados. Oprima 1 para que le devolvamos la "
              "llamada, o permanezca en la línea.",
        "ko": "지금은 모든 상담원이 통화 중입니다. 상담원의 전화를 받으시려면 1번을 누르시고, "
              "계속 기다리시려면 끊지 말고 기다려 주세요.",
    },
    "callback_confirmation": {
        "en": "Thank you. We will call you back at this number.",
        "es": "Gracias. Le devolveremos la llamada a este número.",
        "ko": "감사합니다. 지금 거신 번호로 다시 전화드리겠습니다.",
    },
    "voicemail_goodbye": {
        "en": "Thank you. Goodbye.",
        "es": "Gracias. Adiós.",
        "ko": "감사합니다. 안녕히 계세요.",
    },
    "survey_thanks": {
        "en": "Thank you for your feedback.",
        "es": "Gracias por su opinión.",
        "ko": "소중한 의견 감사합니다.",
    },
}
