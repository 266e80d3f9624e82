"""The home page lists sessions to come (and on air) soonest first, and ended ones apart, newest first."""

from datetime import timedelta

import pytest
from django.utils import timezone

from content.models import HomePage, LiveSessionPage, recent_live_sessions, upcoming_live_sessions
from tests.factories import make_creator, storefront_of

pytestmark = pytest.mark.django_db


def _session(creator, title: str, *, starts_in: timedelta, hours: int = 1, publish: bool = True) -> LiveSessionPage:
    starts_at = timezone.now() + starts_in
    session = LiveSessionPage(title=title, slug=title.lower().replace(" ", "-"), starts_at=starts_at,
                              ends_at=starts_at + timedelta(hours=hours), live=False)
    storefront_of(creator).add_child(instance=session)
    if publish:
        session.save_revision().publish()
    return session


@pytest.fixture
def sessions(site_tree):
    mia, rex = make_creator("mia"), make_creator("rex")
    _session(mia, "Last year", starts_in=-timedelta(days=365))
    _session(rex, "Last week", starts_in=-timedelta(days=7))
    _session(mia, "Yesterday", starts_in=-timedelta(days=1))
    _session(rex, "On air", starts_in=-timedelta(minutes=30))
    _session(mia, "Next month", starts_in=timedelta(days=30))
    _session(rex, "Tomorrow", starts_in=timedelta(days=1))
    _session(mia, "In an hour", starts_in=timedelta(hours=1))
    _session(rex, "Draft tomorrow", starts_in=timedelta(days=1, hours=2), publish=False)


def test_upcoming_are_future_or_on_air_soonest_first_and_replays_newest_first(sessions):
    assert [s.title for s in upcoming_live_sessions()] == ["On air", "In an hour", "Tomorrow", "Next month"]
    assert [s.title for s in recent_live_sessions()] == ["Yesterday", "Last week", "Last year"]


def test_the_lists_are_capped(sessions):
    assert [s.title for s in upcoming_live_sessions(limit=2)] == ["On air", "In an hour"]
    assert [s.title for s in recent_live_sessions(limit=1)] == ["Yesterday"]


def test_the_home_page_shows_both_lists_in_order(sessions, client):
    response = client.get(HomePage.objects.get().url)

    html = response.content.decode()
    titles = ["On air", "In an hour", "Tomorrow", "Next month", "Yesterday", "Last week", "Last year"]
    assert response.status_code == 200
    assert [html.index(f">{title}</a>") for title in titles] == sorted(html.index(f">{title}</a>") for title in titles)
    assert html.index("Upcoming live sessions") < html.index(">On air</a>") < html.index("Replays")
    assert html.index("Replays") < html.index(">Yesterday</a>")
    assert "Draft tomorrow" not in html
    assert "live now" in html.split(">On air</a>")[1].split("</li>")[0]
