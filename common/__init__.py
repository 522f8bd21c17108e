"""What both tiers share: the bot's side (Rasa's process and the action server, `.venv-rasa`) and
the handoff service (`.venv`) import it alike, so it uses the standard library only."""
