"""Shoppers' personal data: masking, log filtering, retention (PIPL)."""
