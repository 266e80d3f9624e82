"""Blocks are stored in migrations under the paths they deconstruct to: ``content.blocks`` is a package, and each
of its blocks keeps the path existing migrations name (``content.blocks.<Name>``), whichever module defines it.
(``makemigrations --check`` cannot see a moved path: it deconstructs the migrations' blocks from the same classes.)"""

from django.utils.module_loading import import_string

from content.models import ShoppableContentPage


def test_every_block_of_a_guide_s_body_deconstructs_to_a_path_migrations_can_import_and_content_s_to_the_package():
    # given the body field as a migration records it
    _name, _path, _args, kwargs = ShoppableContentPage._meta.get_field("body").deconstruct()
    paths = {path for path, _args, _kwargs in kwargs["block_lookup"].values()}

    # then content's own blocks are named at the package, e.g. content.blocks.ProductChooserBlock
    content_paths = {path for path in paths if path.startswith("content.")}
    assert content_paths == {
        "content.blocks.ProductChooserBlock", "content.blocks.VariantChooserBlock", "content.blocks.DealChooserBlock",
        "content.blocks.GroupCampaignChooserBlock", "content.blocks.ListingChooserBlock",
    }
    # and every path imports the class it deconstructs from
    for path in content_paths:
        assert import_string(path).__name__ == path.rsplit(".", 1)[1]
        assert import_string(path)().deconstruct()[0] == path
