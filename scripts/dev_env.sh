#!/usr/bin/env bash
# Create var/dev.env once with random local secrets (never committed; var/ is ignored).
set -eu
mkdir -p var
file=var/dev.env
touch "$file"
chmod 600 "$file"
add() { grep -q "^$1=" "$file" || echo "$1=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')" >> "$file"; }
add RASA_TOKEN
add BACKEND_API_TOKEN
add CONSOLE_API_TOKEN
# Rasa → action server shared secret (endpoints.yml, bot/action_server.py).
add ACTION_SERVER_TOKEN
# The console's session key: 32 random bytes, urlsafe base64 (Fernet).
grep -q "^CONSOLE_SECRET_KEY=" "$file" \
  || echo "CONSOLE_SECRET_KEY=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_')" >> "$file"
# Local runs use http://127.0.0.1, so session cookies cannot be Secure-only.
grep -q "^CONSOLE_ENV=" "$file" || echo "CONSOLE_ENV=development" >> "$file"
# A demo staff account for the local console (user "demo"); make run prints the password.
# Only this development file has one: production has no default account.
add CONSOLE_DEMO_PASSWORD
