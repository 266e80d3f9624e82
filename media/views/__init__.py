"""Admin views for videos: the snippet viewset (owner-scoped), its chooser, and the upload page."""
