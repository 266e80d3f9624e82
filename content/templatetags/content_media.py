from django import template

from media.services.playback import playable_url

register = template.Library()


@register.simple_tag
def playable_video(video):
    """``{% playable_video value as playable %}`` — a URL the reader's browser can play (or None)."""
    return playable_url(video) if video is not None else None
