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
