"""The per-process counts a rate limit falls back on while the shared cache is down (``shop.rate_limits``)."""

from shop.rate_limits import _InProcessCounts


def _counts(max_clients: int) -> _InProcessCounts:
    counts = _InProcessCounts()
    counts.MAX_CLIENTS = max_clients
    return counts


def test_a_newcomer_takes_the_place_of_the_oldest_client_seen_once_never_of_a_client_counted_twice():
    counts = _counts(3)
    assert [counts.count("cart_create", "kept", 7) for _ in range(2)] == [1, 2]
    assert counts.count("cart_create", "once-a", 7) == 1
    assert counts.count("cart_create", "once-b", 7) == 1

    assert counts.count("cart_create", "newcomer", 7) == 1  # once-a forgotten
    assert counts.count("cart_create", "kept", 7) == 3
    assert counts.count("cart_create", "once-b", 7) == 2
    assert counts.count("cart_create", "once-a", 7) == 1  # counted afresh: it gained one request


def test_when_every_counted_client_came_twice_a_newcomer_is_let_through_uncounted_not_locked_out():
    counts = _counts(2)
    for client in ("a", "b"):
        counts.count("reader_code", client, 1)
        counts.count("reader_code", client, 1)

    assert [counts.count("reader_code", f"flood-{n}", 1) for n in range(3)] == [0, 0, 0]
    assert counts.count("reader_code", "a", 1) == 3  # the counted clients keep their counts


def test_a_thread_late_across_the_period_boundary_counts_in_the_newer_period_without_resetting_it():
    counts = _counts(10)
    counts.count("cart_add", "x", 11)
    counts.count("cart_add", "x", 11)

    assert counts.count("cart_add", "x", 10) == 3
    assert counts.count("cart_add", "x", 12) == 1


def test_scopes_count_apart_and_forget_drops_every_table():
    counts = _counts(10)
    counts.count("cart_add", "x", 1)
    counts.count("checkout", "x", 1)

    assert counts.count("cart_add", "x", 1) == 2
    assert counts.active
    counts.forget()
    assert not counts.active
    assert counts.count("cart_add", "x", 1) == 1
