"""What other parts of the hub hear about connections, without connections importing them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent by services.save_connection for an account that was not connected before (a new one, or
# one connected again after it was disconnected), with `connection=` the saved row. The deck
# adds its home and mentions columns (timeline/apps.py), as the empty deck promises.
account_connected = Signal()
