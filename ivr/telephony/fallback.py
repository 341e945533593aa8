"""The degraded path: valid TwiML that needs no database and no flow file.

Whatever fails, the caller hears a bilingual apology, leaves a message after the tone,
and is thanked. Its texts live here, not in the flow's prompt files, so that a broken
flow file cannot break the last resort.
"""

from __future__ import annotations

from collections.abc import Mapping

from twilio.twiml.voice_response import VoiceResponse

LEAVE_MESSAGE = {
    "en-CA": (
        "Sorry, our menu is not available right now. If a child is in immediate danger, "
        "hang up and call 9 1 1. Otherwise, please describe what happened after the tone, "
        "then press the pound key or hang up."
    ),
    "fr-CA": (
        "Désolés, notre menu n'est pas disponible pour le moment. Si un enfant est en "
        "danger immédiat, raccrochez et composez le 9 1 1. Sinon, décrivez ce qui s'est "
        "passé après le signal sonore, puis appuyez sur le carré ou raccrochez."
    ),
}
THANKS = {
    "en-CA": "Thank you. Your message has been received. Goodbye.",
    "fr-CA": "Merci. Votre message a bien été reçu. Au revoir.",
}


def _say_both(response: VoiceResponse, texts: Mapping[str, str], voices: Mapping[str, str]) -> None:
    for language, text in texts.items():
        voice = voices.get(language)
        if voice:
            response.say(text, language=language, voice=voice)
        else:
            response.say(text, language=language)


def leave_message_twiml(base_url: str, voices: Mapping[str, str]) -> str:
    """Apologise in both languages and record a message."""
    response = VoiceResponse()
    _say_both(response, LEAVE_MESSAGE, voices)
    response.record(
        action=f"{base_url}/twilio/fallback/recorded",
        method="POST",
        max_length=300,
        finish_on_key="#",
        play_beep=True,
        timeout=10,
        recording_status_callback=f"{base_url}/twilio/recording-status",
        recording_status_callback_method="POST",
    )
    _say_both(response, THANKS, voices)
    response.hangup()
    return str(response)


def thanks_twiml(voices: Mapping[str, str]) -> str:
    """Thank the caller and hang up."""
    response = VoiceResponse()
    _say_both(response, THANKS, voices)
    response.hangup()
    return str(response)
