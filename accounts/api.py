"""The API's sign-in and sign-out (``/api/v1/auth/``): per-device tokens from django-rest-knox.

``token/`` exchanges a username and password for a new token (one per device, so signing in
on a tablet leaves the phone signed in); ``logout/`` revokes the token it is called with,
``logoutall/`` every token of the user. Sign-in is throttled by django-axes exactly like the
sign-in page (``accounts.lockout``).
"""

from __future__ import annotations

from axes.helpers import get_client_ip_address
from axes.utils import reset as reset_sign_in_failures
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from knox.views import LoginView, LogoutAllView, LogoutView
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from .authentication import ApiTokenAuthentication
from .services import issue_api_token, revoke_api_token, revoke_api_tokens

SIGNED_OUT = OpenApiResponse(description="Signed out: the token(s) no longer work")
NO_TOKEN = OpenApiResponse(description="No valid token was sent")


class TokenView(LoginView):
    """``POST`` username and password (form or JSON) → ``{"token", "expiry"}``; send the
    token as ``Authorization: Token …`` until its expiry.

    Throttled like the sign-in page: the credentials are checked against Django's own
    request, where django-axes marks a locked-out sign-in (so too many wrong passwords answer
    429 here too), and a success clears the earlier failures of that username from that
    address. Not through ``user_logged_in`` as knox does: django-axes' receiver would start
    a session for a client that wants none.
    """

    # Credentials come in the body; whatever else the request carries is not asked.
    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        # DRF's own username + password check (it needs no authtoken tables).
        request=AuthTokenSerializer,
        responses={
            200: inline_serializer(
                "ApiToken",
                {"token": serializers.CharField(), "expiry": serializers.DateTimeField()},
            ),
            400: OpenApiResponse(description="Wrong username or password"),
            429: OpenApiResponse(description="Too many failed sign-ins: when to try again"),
        },
    )
    def post(self, request: Request, format=None) -> Response:
        serializer = AuthTokenSerializer(data=request.data, context={"request": request._request})
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        reset_sign_in_failures(
            ip=get_client_ip_address(request._request), username=user.get_username()
        )
        instance, token = issue_api_token(user=user)
        return self.get_post_response(request, token, instance)


class ApiLogoutView(LogoutView):
    """``POST`` with a token: that token stops working (this device signs out). 204."""

    authentication_classes = (ApiTokenAuthentication,)

    @extend_schema(request=None, responses={204: SIGNED_OUT, 401: NO_TOKEN})
    def post(self, request: Request, format=None) -> Response:
        # Not knox's: its user_logged_out signal would make django-axes start a session.
        revoke_api_token(token=request.auth)
        return self.get_post_response(request)


class ApiLogoutAllView(LogoutAllView):
    """``POST`` with a token: every token of the user stops working (all devices). 204."""

    authentication_classes = (ApiTokenAuthentication,)

    @extend_schema(request=None, responses={204: SIGNED_OUT, 401: NO_TOKEN})
    def post(self, request: Request, format=None) -> Response:
        revoke_api_tokens(user=request.user)
        return self.get_post_response(request)
