"""Use cases: each validates, writes, and commits once; returns models; never prints."""
