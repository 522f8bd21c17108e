"""Custom actions run by the Rasa action server (`python -m actions.server`: rasa_sdk's,
behind a token)."""
