"""Xiaoke (小客): everything that runs inside or beside the Rasa server."""
