from tests.factories import make_creator, make_guide, make_product, product_card


def test_a_published_guide_renders_live_price_and_stock(client, db):
    # given a creator's guide with one product card
    product = make_product(title="Studio Headphones", variants=[("HP-1", "129.00", 3)])
    creator = make_creator("mia")
    guide = make_guide(creator, slug="picks", body=[product_card(product)])

    # when a reader opens it
    response = client.get(guide.url)

    # then the block shows the live price and a low-stock count
    assert response.status_code == 200
    html = response.content.decode()
    assert "Studio Headphones" in html
    assert "129.00 USD" in html
    assert "Only 3 left" in html
