"""The handoff service: owns the humans (agents, the queue, their messages) behind the Rasa bot."""
