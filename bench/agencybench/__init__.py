"""Parts of bench/agency.py: the Mastodon mock with its rate limits on (`peers.py`), a relay
that notes every call and its answer (`relay.py`)."""
