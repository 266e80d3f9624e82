"""Media rules: video uploads (start, confirm), playback URLs, publishing and deletion."""
