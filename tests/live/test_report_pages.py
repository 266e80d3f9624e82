"""The session report pages in the admin: a creator sees their own sessions in full, a brand the sessions
featuring its products with its own figures only (no buyer), anyone else a 404; constant queries."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from content.live.viewers import record_heartbeat
from tests.factories import make_brand, make_brand_user, make_creator
from tests.live.helpers import session_of_size, session_with_sales

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_creator_sees_the_whole_report_of_their_session(shop_settings):
    page, deal, _, _, _ = session_with_sales(shop_settings)
    for number in range(4):
        record_heartbeat(page.pk, f"viewer-{number:04d}")

    listing = _client(page.owner).get("/admin/live/reports/").content.decode()
    body = _client(page.owner).get(f"/admin/live/{page.pk}/report/").content.decode()

    assert listing.count("data-reported-session") == 1 and f"/admin/live/{page.pk}/report/" in listing
    assert "data-report-orders>2<" in body and "data-report-units>6<" in body
    assert "data-report-clicks>0<" in body  # sales through a cart's attribution, no link followed
    assert "data-report-unique-viewers>4<" in body and "data-report-conversion>50.00 %<" in body
    assert '<tr data-report-currency="USD"><td>USD</td><td>116.00</td><td>0.00</td><td>116.00</td></tr>' in body
    assert f'data-report-deal="{deal.pk}"' in body and "30.00 %" in body
    assert "ada@example.com" not in body and "bo@example.com" not in body


def test_a_brand_sees_its_own_products_figures_only_and_no_buyer(shop_settings):
    page, deal, _, glow, dew = session_with_sales(shop_settings)
    glow_user, dew_user = make_brand_user("glow-manager", brand=glow), make_brand_user("dew-manager", brand=dew)

    glow_body = _client(glow_user).get(f"/admin/live/{page.pk}/report/").content.decode()
    dew_body = _client(dew_user).get(f"/admin/live/{page.pk}/report/").content.decode()
    glow_listing = _client(glow_user).get("/admin/live/reports/").content.decode()

    assert "data-report-orders>2<" in glow_body and "data-report-units>4<" in glow_body
    assert '<td>USD</td><td>56.00</td>' in glow_body and "Serum" not in glow_body
    assert f'data-report-deal="{deal.pk}"' in glow_body
    assert "data-report-orders>1<" in dew_body and '<td>USD</td><td>60.00</td>' in dew_body
    assert "Lipstick" not in dew_body and f'data-report-deal="{deal.pk}"' not in dew_body
    assert glow_listing.count("data-reported-session") == 1
    for body in (glow_body, dew_body):
        assert "ada@example.com" not in body and "bo@example.com" not in body


def test_a_second_creator_a_second_brand_and_a_producer_get_404s(shop_settings):
    page, _, _, _, _ = session_with_sales(shop_settings)
    other_creator, other_brand_user = make_creator("ivy"), make_brand_user("bravo-manager", brand=make_brand("Bravo"))
    brandless = make_brand_user("brandless-manager")

    statuses = [_client(user).get(f"/admin/live/{page.pk}/report/").status_code
                for user in (other_creator.user, other_brand_user, brandless)]
    listings = [_client(user).get("/admin/live/reports/").content.decode().count("data-reported-session")
                for user in (other_creator.user, other_brand_user, brandless)]
    anonymous = Client().get(f"/admin/live/{page.pk}/report/")

    assert statuses == [404, 404, 404]
    assert listings == [0, 0, 0]
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/admin/login/")


def test_the_report_page_costs_the_same_queries_for_one_and_five_pins_and_deals(
        shop_settings, django_assert_num_queries):
    small, large = session_of_size(1), session_of_size(5)
    clients = {page.pk: _client(page.owner) for page in (small, large)}
    counts = []
    for page in (small, large):
        clients[page.pk].get(f"/admin/live/{page.pk}/report/")  # warm-up
        with CaptureQueriesContext(connection) as captured:
            response = clients[page.pk].get(f"/admin/live/{page.pk}/report/")
        assert response.status_code == 200
        assert response.content.decode().count("data-report-deal=") == (1 if page is small else 5)
        counts.append(len(captured))

    assert counts[0] == counts[1]
    with django_assert_num_queries(counts[0]):
        clients[large.pk].get(f"/admin/live/{large.pk}/report/")


def test_the_reports_menu_leads_creators_and_brands_to_their_live_sessions():
    creator, brand_manager = make_creator("rex"), make_brand_user("glow-manager", brand=make_brand("Glow"))

    menus = [_client(user).get("/admin/").content.decode() for user in (creator.user, brand_manager)]

    assert ['"/admin/live/reports/"' in menu for menu in menus] == [True, True]
