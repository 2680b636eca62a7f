"""Django's SQLite backend, with the connections a thread closes kept for the next thread
(`base.py`). Used through settings.DATABASES' ENGINE."""
