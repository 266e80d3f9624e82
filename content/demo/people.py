"""Demo people: an admin (editor), three creators and one brand user, with printed logins."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from creators.models import CreatorIndexPage, CreatorProfile, CreatorSocialLink, SocialPlatform
from creators.services.onboarding import provision_creator
from creators.services.roles import EDITORS_GROUP_NAME, add_brand_member
from shop.models import Brand

CREATORS = [
    ("mia", "Mia Chen", "miachen", "Audio nerd and coffee snob. Honest picks, tested for months.", "0.1200"),
    ("leo", "Leo Park", "leopark", "Weekend hiker, gear reviewer, occasional camp chef.", "0.1000"),
    ("ava", "Ava Rossi", "avarossi", "Skincare that works and a kitchen that smells of espresso.", "0.1500"),
]


@dataclass
class DemoLogin:
    role: str
    username: str
    password: str


@dataclass
class DemoPeople:
    editor: object = None
    creators: dict[str, CreatorProfile] = field(default_factory=dict)
    logins: list[DemoLogin] = field(default_factory=list)


def _user(username: str, password: str, **extra):
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username, defaults={"email": f"{username}@kolshop.example", **extra})
    if created:
        user.set_password(password)
        user.save()
    return user


def load_people(*, creator_index: CreatorIndexPage) -> DemoPeople:
    people = DemoPeople()
    admin = _user("admin", "kolshop-admin", is_staff=True, is_superuser=True, first_name="Ada", last_name="Admin")
    admin.groups.add(Group.objects.get(name=EDITORS_GROUP_NAME))
    people.editor = admin
    people.logins.append(DemoLogin("admin (editor)", "admin", "kolshop-admin"))

    for username, display_name, handle, bio, rate in CREATORS:
        user = _user(username, "kolshop-creator", first_name=display_name.split()[0])
        profile = provision_creator(
            user,
            display_name=display_name,
            handle=handle,
            index_page=creator_index,
            bio=bio,
            default_commission_rate=Decimal(rate),
        )
        CreatorSocialLink.objects.get_or_create(
            creator=profile, platform=SocialPlatform.INSTAGRAM, defaults={"url": f"https://instagram.com/{handle}"}
        )
        people.creators[handle] = profile
        people.logins.append(DemoLogin(f"creator @{handle}", username, "kolshop-creator"))

    brand_user = _user("northwind", "kolshop-brand", first_name="Nora")
    add_brand_member(brand_user, brand=Brand.objects.get(slug="northwind-audio"))
    people.logins.append(DemoLogin("brand Northwind Audio", "northwind", "kolshop-brand"))
    return people
