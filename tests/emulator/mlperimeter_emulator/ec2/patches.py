"""Fixes to moto's EC2 service (placeholder until the EC2 fixes land)."""
