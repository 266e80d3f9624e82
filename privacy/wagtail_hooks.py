from wagtail import hooks

from privacy.viewsets import DataSubjectRequestViewSet


@hooks.register("register_admin_viewset")
def register_data_subject_requests():
    return DataSubjectRequestViewSet("privacy_requests")
