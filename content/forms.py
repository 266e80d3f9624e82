"""Admin forms for content pages."""

from wagtail.admin.forms import WagtailAdminPageForm

from content.services.media_access import page_media_errors
from creators.services.storefronts import creator_above


class ShoppableContentPageForm(WagtailAdminPageForm):
    """Refuses media the page may not show (see ``content.services.media_access``), naming the
    field or the stream block: a crafted form post cannot borrow another creator's video or images.
    Wagtail validates this form for saving, submitting, publishing and previewing alike."""

    def clean(self):
        cleaned_data = super().clean()
        if self.for_user is None:
            return cleaned_data
        creator = self.instance.find_creator() if self.instance.pk else creator_above(self.parent_page)
        # Until _post_clean, the instance is the page as last saved (the latest revision when editing).
        errors = page_media_errors(
            self.instance,
            user=self.for_user,
            values=cleaned_data,
            previous=self.instance if self.instance.pk else None,
            owner_id=creator.user_id if creator else None,
        )
        for field, messages in errors.items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)
        return cleaned_data
