"""The live page's reader-facing state, for its template: ``{% live_session_context page as live %}``.

A template tag rather than ``LiveSessionPage.get_context`` so that the page model does not import the
live state, which itself reads the page model (one direction of imports inside ``content``).
"""

from django import template

from content.live.api import chapter_representation, live_links, replay_chapters
from content.live.state import SessionNotFound, live_state

register = template.Library()


@register.simple_tag
def live_session_context(page) -> dict:
    try:
        state = live_state(page.pk) if page.live else None
    except SessionNotFound:  # a private session: its page renders, its live state is not public
        state = None
    return {
        "state": state,
        "links": live_links(page),
        "chapters": [chapter_representation(page, chapter) for chapter in replay_chapters(page)],
    }
