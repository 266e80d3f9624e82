from django.urls import path

from readers import views

app_name = "readers"

urlpatterns = [
    path("account/", views.account, name="account"),
    path("account/sign-in/", views.sign_in, name="sign-in"),
    path("account/sign-in/code/", views.sign_in_code, name="sign-in-code"),
    path("account/sign-in/link/<str:token>/", views.sign_in_link, name="sign-in-link"),
    path("account/share/", views.share_page, name="share"),
    path("account/rewards/redeem/", views.redeem, name="redeem"),
    path("account/sign-out/", views.sign_out, name="sign-out"),
    path("account/sign-out-everywhere/", views.sign_out_all, name="sign-out-everywhere"),
]
