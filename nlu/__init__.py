"""Rasa NLU components for a bot that serves English, Persian, Arabic and Hebrew."""
