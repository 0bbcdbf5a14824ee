"""Fixes to moto's Organizations listings and who may read them (see ``patches``)."""
