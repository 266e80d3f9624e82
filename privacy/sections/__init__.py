"""The personal-data sections of the apps below privacy (shop, creators) and of privacy itself."""

from privacy.sections import creators, requests, shop  # noqa: F401 - each registers its sections
