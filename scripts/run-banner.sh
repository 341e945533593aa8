#!/usr/bin/env bash
# Printed by `make run` before the server starts: how to phone the line.
host=$1 port=$2
cat <<MSG

  The hotline is starting on http://$host:$port (Twilio webhooks under /twilio/).

  Operator console: http://$host:$port/ . On the first run an "admin" account was created
  and its one-time password printed above: sign in, choose a password, then enrol an
  authenticator app. More accounts: .venv/bin/flask --app wsgi users create NAME --role operator

  Place a simulated call from another terminal:
    .venv/bin/flask --app wsgi simulate-call --digits 1,2,2,2 --voicemail docs/samples/voicemail-en.wav
  or answer the menus yourself:
    .venv/bin/flask --app wsgi simulate-call --interactive

  Stop the server with Ctrl-C.

MSG
