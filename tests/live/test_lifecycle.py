"""A session's lifecycle moves only through the services, records its times and refuses wrong moves."""

from datetime import timedelta

import pytest
from django.utils import timezone

from content.live.models import LiveSession, LiveStatus
from content.live.services import cancel_session, end_session, mark_replay_ready, session_of, start_session
from shop.errors import Conflict
from tests.live.helpers import make_session

pytestmark = pytest.mark.django_db


def test_a_new_session_is_scheduled():
    page = make_session()

    session = session_of(page)

    assert (session.status, session.started_at, session.ended_at, session.version) == (
        LiveStatus.SCHEDULED, None, None, 1)


def test_start_end_and_replay_record_their_times_and_raise_the_version():
    page = make_session()
    t0 = timezone.now().replace(microsecond=0)

    start_session(page, now=t0)
    end_session(page, now=t0 + timedelta(minutes=42))
    mark_replay_ready(page, now=t0 + timedelta(hours=2))

    session = LiveSession.objects.get(page=page)
    assert session.status == LiveStatus.REPLAY_READY
    assert session.started_at == t0
    assert session.ended_at == t0 + timedelta(minutes=42)
    assert session.replay_ready_at == t0 + timedelta(hours=2)
    assert session.version == 4


def test_ending_a_session_twice_changes_nothing():
    page = make_session()
    t0 = timezone.now()
    start_session(page, now=t0)
    end_session(page, now=t0 + timedelta(minutes=5))

    again = end_session(page, now=t0 + timedelta(minutes=9))

    session = LiveSession.objects.get(page=page)
    assert (again.ended_at, session.ended_at) == (t0 + timedelta(minutes=5), t0 + timedelta(minutes=5))
    assert session.version == 3


def test_a_scheduled_session_cannot_end_and_an_ended_one_cannot_restart_or_be_cancelled():
    page = make_session()
    with pytest.raises(Conflict) as not_live:
        end_session(page)
    start_session(page)
    end_session(page)

    with pytest.raises(Conflict) as restart:
        start_session(page)
    with pytest.raises(Conflict) as cancel:
        cancel_session(page)

    assert (not_live.value.code, restart.value.code, cancel.value.code) == (
        "session_not_live", "session_not_scheduled", "session_not_scheduled")
    assert LiveSession.objects.get(page=page).status == LiveStatus.ENDED


def test_a_cancelled_session_never_goes_live():
    page = make_session()
    cancel_session(page)
    cancel_session(page)

    with pytest.raises(Conflict) as error:
        start_session(page)

    session = LiveSession.objects.get(page=page)
    assert (error.value.code, session.status, session.started_at) == ("session_not_scheduled", LiveStatus.CANCELLED, None)
    assert session.cancelled_at is not None
    assert session.version == 2


def test_replay_ready_needs_an_ended_session():
    page = make_session()
    start_session(page)

    with pytest.raises(Conflict) as error:
        mark_replay_ready(page)

    assert error.value.code == "session_not_ended"
