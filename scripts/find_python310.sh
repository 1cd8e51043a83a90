#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter (Rasa 3.6 needs >=3.8,<3.11), or explain what to install.
set -u
candidates=()
[ -n "${PYTHON310:-}" ] && candidates+=("$PYTHON310")
command -v python3.10 >/dev/null 2>&1 && candidates+=("$(command -v python3.10)")
for root in "${PYENV_ROOT:-}" "$HOME/.pyenv" /root/.pyenv; do
  [ -n "$root" ] && for p in "$root"/versions/3.10*/bin/python3.10; do [ -x "$p" ] && candidates+=("$p"); done
done
for p in /usr/bin/python3.10 /usr/local/bin/python3.10; do [ -x "$p" ] && candidates+=("$p"); done
for p in "${candidates[@]}"; do
  if "$p" -c 'import sys, venv; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' >/dev/null 2>&1; then
    echo "$p"
    exit 0
  fi
done
cat >&2 <<'MSG'
Xiaoke needs Python 3.10 (Rasa 3.6 supports Python 3.8-3.10, not 3.11+), and none was found.
Install it, for example one of:
  pyenv install 3.10            # with pyenv (https://github.com/pyenv/pyenv)
  sudo apt-get install python3.10 python3.10-venv   # Debian/Ubuntu with Python 3.10 packages
then run the command again, or point PYTHON310=/path/to/python3.10 at it.
MSG
exit 1
