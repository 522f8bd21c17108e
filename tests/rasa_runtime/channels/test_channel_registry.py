"""Which channels Rasa gets: the web widget always; REST (behind its token) and each messenger
only when all of their variables are set, and a half-configured one is named with what it
lacks."""

from __future__ import annotations

from rasa_runtime.channels import channels, describe

TELEGRAM = {"TELEGRAM_TOKEN": "123:abc", "TELEGRAM_SECRET_TOKEN": "s3cret"}


def test_without_credentials_only_the_web_widget_is_on() -> None:
    found = channels({})
    assert found.on == ["socketio"]
    assert set(found.credentials) == {"rasa_runtime.channels.socketio.WidgetSocketInput"}
    assert describe(found) == "channels on: socketio"


def test_rest_is_on_with_its_token_and_as_our_connector() -> None:
    found = channels({"RASA_REST_TOKEN": "t0ken"})
    assert found.on == ["socketio", "rest"]
    assert "rasa_runtime.channels.rest.TokenRestInput" in found.credentials


def test_a_messenger_is_on_with_all_of_its_variables_and_no_secret_is_written() -> None:
    found = channels(TELEGRAM)
    assert found.on == ["socketio", "telegram"]
    assert found.credentials["rasa_runtime.channels.telegram.TelegramInput"] is None
    assert "s3cret" not in repr(found.credentials)


def test_a_half_configured_messenger_stays_off_and_says_what_is_missing() -> None:
    found = channels({"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t",
                      "MESSENGER_PAGE_TOKEN": " "})
    assert found.on == ["socketio"]
    assert "whatsapp off, missing TWILIO_WHATSAPP_NUMBER, TWILIO_WEBHOOK_URL" in describe(found)
    assert "messenger" not in found.incomplete  # a blank value is not set
