"""Attribution tokens (``shop.attribution``): one HMAC per token (v3), and tokens signed before it still read."""

import time
from urllib.parse import quote_plus

import pytest
from django.core import signing

from shop.attribution import (
    Attribution,
    InvalidAttribution,
    read_attribution,
    read_attribution_token,
    sign_attribution,
)

WINDOW_DAYS = 30


@pytest.fixture(autouse=True)
def _window(settings):
    settings.KOLSHOP_ATTRIBUTION_WINDOW_DAYS = WINDOW_DAYS


def _signed_days_ago(monkeypatch, days: float, attribution: Attribution, *, sku: str | None) -> str:
    now = time.time()
    with monkeypatch.context() as patch:
        patch.setattr(signing.time, "time", lambda: now - days * 86400)
        return sign_attribution(attribution, sku=sku)


@pytest.mark.parametrize(("attribution", "sku"), [
    (Attribution(creator_id=3, page_id=41, block_id="82eea12e-f364-4ed5-be43-7e4829af2c7e", click_id=9_000_123), "HP-1"),
    (Attribution(creator_id=3), None),  # a page link's token
    (Attribution(page_id=7, block_id="a:b=c-"), "LAMP 1:=-x"),  # separators inside the free-text fields
    (Attribution(creator_id=5, block_id="blöck ✓"), "SKÜ-1"),
])
def test_a_token_reads_back_what_was_signed_and_needs_no_quoting(attribution, sku):
    token = sign_attribution(attribution, sku=sku)

    assert read_attribution(token, sku=sku) == attribution
    assert quote_plus(token) == token


def test_a_block_id_of_none_reads_back_empty_as_before():
    token = sign_attribution(Attribution(creator_id=3, page_id=4, block_id=None), sku="HP-1")

    assert read_attribution(token, sku="HP-1") == Attribution(creator_id=3, page_id=4, block_id="")


def test_a_token_for_another_sku_is_refused():
    token = sign_attribution(Attribution(creator_id=3, page_id=4), sku="HP-1")

    for other in ("HP-2", "HP-1 ", None):
        with pytest.raises(InvalidAttribution, match="issued for another product"):
            read_attribution(token, sku=other)
    with pytest.raises(InvalidAttribution, match="issued for another product"):
        read_attribution(sign_attribution(Attribution(creator_id=3), sku=None), sku="HP-1")


def test_what_a_token_says_is_read_with_its_sku_checked_but_for_the_sku_and_the_same_a_moment_later(monkeypatch):
    attribution = Attribution(creator_id=3, page_id=41, block_id="a:b=c-", click_id=9)
    token = sign_attribution(attribution, sku="LAMP 1:=-x")
    later = _signed_days_ago(monkeypatch, -1 / 86400, attribution, sku="LAMP 1:=-x")  # a second later
    page_link = sign_attribution(Attribution(creator_id=3), sku=None)
    before_v3 = signing.dumps({"c": 3, "p": 41, "b": "b1", "s": "HP-1", "k": 88}, salt="kolshop.attribution.v2",
                              compress=True)

    assert later != token
    assert read_attribution_token(token) == read_attribution_token(later) == (attribution, "LAMP 1:=-x")
    assert read_attribution_token(page_link) == (Attribution(creator_id=3), None)
    assert read_attribution_token(before_v3) == (Attribution(creator_id=3, page_id=41, block_id="b1", click_id=88),
                                                 "HP-1")
    with pytest.raises(InvalidAttribution, match="is invalid"):
        read_attribution_token(token[:-1] + ("A" if token[-1] != "A" else "B"))
    with pytest.raises(InvalidAttribution, match="has expired"):
        read_attribution_token(_signed_days_ago(monkeypatch, WINDOW_DAYS + 1, attribution, sku="HP-1"))


def test_a_tampered_token_is_refused():
    token = sign_attribution(Attribution(creator_id=3, page_id=4, click_id=77), sku="HP-1")
    prefix, body, mac = token.split(".")
    forged_body = sign_attribution(Attribution(creator_id=999, page_id=4, click_id=77), sku="HP-1").split(".")[1]
    flipped = mac[:-1] + ("A" if mac[-1] != "A" else "B")

    for forged in (f"{prefix}.{forged_body}.{mac}", f"{prefix}.{body}.{flipped}", f"{prefix}.{body}.",
                   f"{prefix}.{body}", f"{prefix}.{body}.{mac}é", "a3.", "a3..x"):
        with pytest.raises(InvalidAttribution, match="is invalid"):
            read_attribution(forged, sku="HP-1")


def test_a_token_signed_with_another_key_is_refused_unless_it_is_a_fallback(settings):
    attribution = Attribution(creator_id=3, page_id=4)
    token = sign_attribution(attribution, sku="HP-1")
    old_key = settings.SECRET_KEY

    settings.SECRET_KEY = "a-rotated-secret-key-for-this-test-0123456789abcdef"
    with pytest.raises(InvalidAttribution, match="is invalid"):
        read_attribution(token, sku="HP-1")

    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert read_attribution(token, sku="HP-1") == attribution


@pytest.mark.parametrize(("age_days", "expired"), [(29.9, False), (30.1, True)])
def test_a_token_past_the_attribution_window_is_refused(monkeypatch, age_days, expired):
    attribution = Attribution(creator_id=3, page_id=4)
    token = _signed_days_ago(monkeypatch, age_days, attribution, sku="HP-1")

    if expired:
        with pytest.raises(InvalidAttribution, match="has expired"):
            read_attribution(token, sku="HP-1")
    else:
        assert read_attribution(token, sku="HP-1") == attribution


@pytest.mark.parametrize(("age_days", "expired"), [(29.9, False), (30.1, True)])
def test_a_token_signed_before_v3_is_read_until_the_window_has_passed(monkeypatch, age_days, expired):
    # what sign_attribution made before v3: signing.dumps with the v2 salt, compressed; such tokens sit in cached
    # pages, carts and front ends
    now = time.time()
    with monkeypatch.context() as patch:
        patch.setattr(signing.time, "time", lambda: now - age_days * 86400)
        token = signing.dumps({"c": 3, "p": 41, "b": "b1", "s": "HP-1", "k": 88}, salt="kolshop.attribution.v2",
                              compress=True)

    if expired:
        with pytest.raises(InvalidAttribution, match="has expired"):
            read_attribution(token, sku="HP-1")
        return
    assert read_attribution(token, sku="HP-1") == Attribution(creator_id=3, page_id=41, block_id="b1", click_id=88)
    with pytest.raises(InvalidAttribution, match="issued for another product"):
        read_attribution(token, sku="HP-2")
    with pytest.raises(InvalidAttribution, match="is invalid"):
        read_attribution(token[:-2] + ("xy" if token[-2:] != "xy" else "yz"), sku="HP-1")
