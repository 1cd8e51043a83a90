"""Reference CRM service: customers, identities, loyalty and warranties."""
