"""A foreign key to a table partitioned by month must not be a database constraint (operations.checks): the
system check finds any that is, and on PostgreSQL the models marked partitioned are exactly the tables the
migrations partitioned."""

import pytest
from django.core.management import call_command
from django.db import models
from django.test.utils import isolate_apps

from creators.models import Click, OrderLineAttribution, PageView
from operations.checks import (
    check_no_foreign_key_constraint_to_a_partitioned_table, constrained_keys_to_partitioned, partitioned_models,
)
from operations.partitions import _partition_key, partitioned_tables
from shop.models import AddToCartEvent


def test_the_projects_models_pass_the_check_and_the_click_reference_is_an_id_column():
    assert check_no_foreign_key_constraint_to_a_partitioned_table() == []
    assert OrderLineAttribution._meta.get_field("click").db_constraint is False
    call_command("check")  # raises SystemCheckError on any error


@isolate_apps("creators")
def test_a_new_foreign_key_to_a_partitioned_model_fails_the_check_unless_it_is_an_id_column():
    class ClickNote(models.Model):
        click = models.ForeignKey(Click, on_delete=models.CASCADE)
        view = models.OneToOneField(PageView, on_delete=models.CASCADE, db_constraint=False)

        class Meta:
            app_label = "creators"

    class CartNote(models.Model):
        event = models.ForeignKey(AddToCartEvent, null=True, on_delete=models.SET_NULL)
        clicks = models.ManyToManyField(Click, related_name="+")

        class Meta:
            app_label = "creators"

    through = CartNote._meta.get_field("clicks").remote_field.through
    found = {f"{field.model.__name__}.{field.name}"
             for field in constrained_keys_to_partitioned([ClickNote, CartNote, through])}

    assert found == {"ClickNote.click", "CartNote.event", f"{through.__name__}.click"}


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_models_marked_partitioned_are_the_tables_the_migrations_partitioned_on_their_columns():
    from django.apps import apps

    marked = {model._meta.db_table: model.partitioned_by_month for model in partitioned_models(apps.get_models())}

    assert marked == {table: _partition_key(table) for table in partitioned_tables()} == {
        "creators_click": "clicked_at", "creators_pageview": "viewed_at", "shop_addtocartevent": "created_at"}
