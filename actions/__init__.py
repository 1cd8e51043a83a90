"""Custom actions for the rasa_sdk action server."""
