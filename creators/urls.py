from django.urls import re_path

from creators.views import follow_link

app_name = "creators"

urlpatterns = [
    # /r/<code> and /r/<code>/ both work: short links get typed and pasted without the slash.
    re_path(r"^r/(?P<code>[^/]{1,64})/?$", follow_link, name="follow-link"),
]
