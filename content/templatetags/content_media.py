from django import template

from content.services.media_access import video_owner_id
from media.services.playback import playable_url

register = template.Library()


@register.simple_tag(takes_context=True)
def playable_video(context, video):
    """``{% playable_video value as playable %}`` — a URL the reader's browser can play (or None).

    Signs an unpublished video only for the creator of the page being rendered (``page`` in context).
    """
    if video is None:
        return None
    page = context.get("page")
    return playable_url(video, private_for_owner_id=video_owner_id(page) if page is not None else None)
