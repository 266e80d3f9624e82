"""Admin forms for content pages."""

from wagtail.admin.forms import WagtailAdminPageForm


class ShoppableContentPageForm(WagtailAdminPageForm):
    """Refuses images and documents the editing user may not choose (the video rule is the model's,
    see ``ShoppableContentPage.clean``): a crafted form post cannot borrow another creator's media."""

    def clean(self):
        from content.services.media_access import chosen_media_errors

        cleaned_data = super().clean()
        if self.for_user is None:
            return cleaned_data
        # Until _post_clean, the instance is the page as last saved (the latest revision when editing).
        previous = self.instance if self.instance.pk else None
        errors = chosen_media_errors(self.instance, user=self.for_user, values=cleaned_data, previous=previous)
        for field, messages in errors.items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)
        return cleaned_data
