"""WorkSpaces Secure Browser (``workspaces-web``) for the emulator, written fresh in moto's service layout."""
