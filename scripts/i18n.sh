#!/usr/bin/env bash
# The console's translations (Flask-Babel). Source strings are English.
#   scripts/i18n.sh update    extract the strings of ivr/ and merge them into the .po files
#   scripts/i18n.sh compile   compile the .po files into the .mo files the app reads
# Both the .po and the .mo files are committed; tests/auth/test_i18n.py checks that every
# string has a French translation and that the .mo matches its .po.
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL=.venv/bin/pybabel
DIR=ivr/translations
case "${1:-}" in
  update)
    $PYBABEL -q extract -F "$DIR/babel.cfg" -k _l -k lazy_gettext --no-location \
      --sort-output --project hotline -o "$DIR/messages.pot" .
    $PYBABEL -q update -i "$DIR/messages.pot" -d "$DIR" --no-fuzzy-matching --ignore-obsolete --width 100
    ;;
  compile)
    $PYBABEL -q compile -d "$DIR"
    ;;
  *)
    echo "usage: $0 update|compile" >&2
    exit 2
    ;;
esac
