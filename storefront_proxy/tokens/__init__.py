"""The shops' offline access tokens: sealed records in Redis, refreshed before they expire, one refresher at a
time."""
