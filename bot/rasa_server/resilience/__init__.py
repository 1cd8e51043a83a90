"""Keep shoppers answered in Chinese when the action server fails mid-conversation."""
