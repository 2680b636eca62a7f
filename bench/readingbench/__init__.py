"""Helpers of bench/reading.py: a relay that passes streams through, SSE clients, samplers."""
