"""Test connectors for networks that need the operator's app: one that cannot check an app (as
X and LinkedIn cannot) and one that checks it with Meta's app access token, against the
loopback stand-in a test points `token_url` at."""

from __future__ import annotations

from typing import ClassVar

from hubbub.networks.app_check import check_client_credentials
from hubbub.networks.base import AppCredentials
from tests.web.fakes import FakeConnector


class FakeXConnector(FakeConnector):
    slug = "x"
    name = "X"


class FakeMetaConnector(FakeConnector):
    slug = "facebook"
    name = "Facebook"
    token_url: ClassVar[str] = ""

    def check_app(self, app: AppCredentials) -> None:
        check_client_credentials(self.token_url, app, self.name)
