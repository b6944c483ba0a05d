"""Helpers shared by mlws's test suites and benchmark (not shipped to users)."""
