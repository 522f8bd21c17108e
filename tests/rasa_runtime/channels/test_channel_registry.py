"""Which channels Rasa gets: the web widget and REST always, each messenger only when all of its
variables are set, and a half-configured one is named with what it lacks."""

from __future__ import annotations

from rasa_runtime.channels import channels, describe

TELEGRAM = {"TELEGRAM_TOKEN": "123:abc", "TELEGRAM_SECRET_TOKEN": "s3cret"}


def test_without_credentials_only_the_web_channels_are_on() -> None:
    found = channels({})
    assert found.on == ["rest", "socketio"]
    assert set(found.credentials) == {"rest", "socketio"}
    assert describe(found) == "channels on: rest, socketio"


def test_a_messenger_is_on_with_all_of_its_variables_and_no_secret_is_written() -> None:
    found = channels(TELEGRAM)
    assert found.on == ["rest", "socketio", "telegram"]
    assert found.credentials["rasa_runtime.channels.telegram.TelegramInput"] is None
    assert "s3cret" not in repr(found.credentials)


def test_a_half_configured_messenger_stays_off_and_says_what_is_missing() -> None:
    found = channels({"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t",
                      "MESSENGER_PAGE_TOKEN": " "})
    assert found.on == ["rest", "socketio"]
    assert "whatsapp off, missing TWILIO_WHATSAPP_NUMBER, TWILIO_WEBHOOK_URL" in describe(found)
    assert "messenger" not in found.incomplete  # a blank value is not set
