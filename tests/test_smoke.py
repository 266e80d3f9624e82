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


def test_a_blocks_buy_button_puts_the_product_in_the_cart_credited_to_creator_page_and_block(client, db):
    from shop.models import CartLine

    # given a guide whose product card has a stable block id
    product = make_product(title="Desk Lamp", variants=[("LAMP-1", "45.00", 9)])
    creator = make_creator("lia")
    card = product_card(product)
    guide = make_guide(creator, slug="lamps", body=[card])

    # when a reader presses the block's Buy button
    html = client.get(guide.url).content.decode()
    buy_href = html.split('class="buy" href="')[1].split('"')[0].replace("&amp;", "&")
    response = client.get(buy_href)

    # then the cart line carries the exact attribution
    assert response.status_code == 302
    line = CartLine.objects.get()
    assert (line.variant.sku, line.quantity) == ("LAMP-1", 1)
    assert (line.creator_id, line.page_id, line.block_id) == (creator.pk, guide.pk, card["id"])
