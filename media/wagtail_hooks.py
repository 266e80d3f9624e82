from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet

from media.models import Video
from media.permissions import VideoPermissionPolicy
from media.views.admin import VideoViewSet

register_permission_policy(Video, VideoPermissionPolicy(Video))
register_snippet(VideoViewSet)
