"""The fixed top of the page tree: Site → HomePage → CreatorIndexPage → one CreatorPage per creator."""

from urllib.parse import urlsplit

from django.db import transaction
from wagtail.models import Page, Site

from content.models import HomePage
from creators.models import CreatorIndexPage


@transaction.atomic
def ensure_site_tree(*, hostname: str = "localhost", port: int = 80) -> tuple[HomePage, CreatorIndexPage]:
    """Create the home page and creators index once, and point the default Site at the home page."""
    root = Page.get_first_root_node()
    home = HomePage.objects.first()
    if home is None:
        home = HomePage(title="kolshop", slug="kolshop-home", intro="<p>Shop what creators love.</p>")
        root.add_child(instance=home)
        home.save_revision().publish()
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(hostname=hostname, port=port, root_page=home, is_default_site=True, site_name="kolshop")
    elif site.root_page_id != home.pk:
        previous_root = site.root_page
        site.root_page = home
        site.site_name = site.site_name or "kolshop"
        site.save()
        # Wagtail's placeholder "Welcome" page is not ours to keep once the real home exists.
        if type(previous_root.specific) is Page and previous_root.slug == "home" and not previous_root.get_children().exists():
            previous_root.delete()
    index = CreatorIndexPage.objects.first()
    if index is None:
        index = CreatorIndexPage(title="Creators", slug="creators", intro="<p>The people whose picks you trust.</p>")
        home.add_child(instance=index)
        index.save_revision().publish()
    return home, index


def point_site_at(address: str) -> Site:
    """Make the default Site answer at ``address`` (``http://127.0.0.1:8001``): the content API's
    ``html_url``/``detail_url``, the ``find`` redirect and workflow e-mails all build links from it."""
    parts = urlsplit(address)
    if not parts.hostname:
        raise ValueError(f"Not an absolute address: {address!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    site = Site.objects.get(is_default_site=True)
    if (site.hostname, site.port) != (parts.hostname, port):
        site.hostname, site.port = parts.hostname, port
        site.save(update_fields=["hostname", "port"])
    return site
