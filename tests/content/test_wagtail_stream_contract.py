"""The Wagtail behaviour catalog batching relies on (content.services.catalog.prefetch_stream).

A lazily loaded stream converts its blocks through each child block's public ``bulk_to_python``: once
per block type for all blocks of that type, in stream order, and keeps the converted values. Lists and
structs hand all their items to their child blocks at once. If an upgrade of Wagtail changes any of
this, these tests fail before a page quietly costs a query per product block.
"""

import pytest
from wagtail import blocks

from content.models import BuyingGuidePage
from content.services.catalog import prefetch_stream
from tests.content.test_content_api_queries import guide_with_product_blocks
from tests.factories import make_creator

CALLS: list[tuple[str, list]] = []


class RecordingBlock(blocks.CharBlock):
    """Records every ``bulk_to_python`` call (its block name and the raw values it was given)."""

    def bulk_to_python(self, values):
        values = list(values)
        CALLS.append((self.name or "item", values))
        return super().bulk_to_python(values)


def recorded_stream_block() -> blocks.StreamBlock:
    return blocks.StreamBlock([
        ("card", RecordingBlock()),
        ("look", blocks.StructBlock([("product", RecordingBlock()), ("caption", blocks.CharBlock())])),
        ("grid", blocks.ListBlock(RecordingBlock())),
    ])


def raw_stream(size: int) -> list[dict]:
    raw = []
    for number in range(size):
        kind = ("card", "look", "grid")[number % 3]
        value = {"card": f"c{number}", "look": {"product": f"p{number}", "caption": "x"},
                 "grid": [f"g{number}a", f"g{number}b"]}[kind]
        raw.append({"type": kind, "value": value, "id": f"block-{number}"})
    return raw


def test_a_lazy_stream_converts_each_block_type_once_with_all_its_values_in_order():
    CALLS.clear()
    stream = recorded_stream_block().to_python(raw_stream(30))

    assert CALLS == []  # nothing is converted until the stream is read
    values = [(child.block_type, child.id) for child in stream]

    assert values == [(item["type"], item["id"]) for item in raw_stream(30)]
    assert CALLS == [
        ("card", [f"c{number}" for number in range(0, 30, 3)]),
        ("product", [f"p{number}" for number in range(1, 30, 3)]),
        ("item", [f"g{number}{letter}" for number in range(2, 30, 3) for letter in "ab"]),
    ]


def test_a_converted_stream_keeps_its_values_and_never_converts_again():
    CALLS.clear()
    stream = recorded_stream_block().to_python(raw_stream(9))
    first = [child.value for child in stream]
    calls_after_first_read = len(CALLS)

    second = [child.value for child in stream]

    assert (calls_after_first_read, len(CALLS)) == (3, 3)
    assert [value is again for value, again in zip(first, second)] == [True] * 9


def test_a_stream_inside_a_list_converts_each_block_type_once_for_every_stream():
    CALLS.clear()
    list_of_streams = blocks.ListBlock(recorded_stream_block())

    converted = list_of_streams.bulk_to_python([[raw_stream(6), raw_stream(3)]])

    assert [len(stream) for stream in converted[0]] == [6, 3]
    assert [name for name, _ in CALLS] == ["card", "product", "item"]
    assert CALLS[0] == ("card", ["c0", "c3", "c0"])


@pytest.mark.django_db
@pytest.mark.parametrize("size", [5, 25])
def test_prefetching_a_guide_reads_its_whole_catalog_in_seven_queries_then_none(django_assert_num_queries, size):
    guide = BuyingGuidePage.objects.get(pk=guide_with_product_blocks(make_creator("pia"), size).pk)

    # deals, products, variants, attributes, product images, images, renditions
    with django_assert_num_queries(7):
        prefetch_stream(guide.body)
    with django_assert_num_queries(0):
        blocks_read = [child.block_type for child in guide.body]

    assert len(blocks_read) == size + 2
