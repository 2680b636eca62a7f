"""The parts of bench/deck.py, by what each does; deck.py runs them in order."""
