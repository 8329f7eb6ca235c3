"""The registry service: the veteran file (一人一档), the source of truth for who a veteran is."""
