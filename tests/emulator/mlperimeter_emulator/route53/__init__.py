"""Fixes to moto's Route 53 record sets (see ``patches``)."""
