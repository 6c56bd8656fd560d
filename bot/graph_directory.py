"""Microsoft Graph as the directory (msgraph-sdk): people by UPN or email, Entra group members,
managers, automatic replies, and the Teams app installed for a person so the bot can reach them.

Every Graph failure becomes a clear answer: 404 is "no such person/group" (None); 429, 5xx,
a refused token or an unreachable Graph is a DirectoryUnavailable carrying Retry-After, which
routing answers by falling back to the catalog. The SDK's own retry is off: a user waiting on a
card must not wait for Graph's Retry-After; the cache pauses calls until then instead.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from azure.core.exceptions import AzureError
from kiota_abstractions.api_error import APIError
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.models.date_time_time_zone import DateTimeTimeZone
from msgraph.generated.models.user import User
from msgraph.generated.models.user_scope_teams_app_installation import (
    UserScopeTeamsAppInstallation,
)
from msgraph.generated.users.item.teamwork.installed_apps.installed_apps_request_builder import (
    InstalledAppsRequestBuilder,
)
from msgraph.generated.users.item.user_item_request_builder import UserItemRequestBuilder
from msgraph.generated.users.users_request_builder import UsersRequestBuilder
from msgraph.graph_service_client import GraphServiceClient

from approvals.directory import (
    AutomaticReplies,
    DirectoryPerson,
    DirectoryUnavailable,
    RepliesStatus,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
USER_FIELDS = ["id", "displayName", "mail", "userPrincipalName"]
MAX_MEMBER_PAGES = 50
THROTTLED = (429, 503, 504)


class GraphDirectory:
    """The Directory (approvals.directory) on Microsoft Graph, plus Teams app installs."""

    def __init__(self, client: GraphServiceClient, teams_app_id: str = "") -> None:
        self.client = client
        self.teams_app_id = teams_app_id

    async def close(self) -> None:
        """Close the HTTP connections the SDK keeps (at shutdown)."""
        http = getattr(self.client.request_adapter, "_http_client", None)
        if isinstance(http, httpx.AsyncClient):
            await http.aclose()

    async def find_person(self, upn_or_email: str) -> DirectoryPerson | None:
        key = upn_or_email.strip()
        config = RequestConfiguration(
            query_parameters=UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(
                select=USER_FIELDS))
        found = await self._ask(f"user {key}", lambda: self.client.users.by_user_id(key).get(
            request_configuration=config))
        if found is None and "@" in key:  # a mail address that is not the UPN
            query = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
                filter=f"mail eq '{key.replace(chr(39), chr(39) * 2)}'", select=USER_FIELDS)
            page = await self._ask(f"user with mail {key}", lambda: self.client.users.get(
                request_configuration=RequestConfiguration(query_parameters=query)))
            found = page.value[0] if page is not None and page.value else None
        if found is None:
            log.warning("Graph: no user %s in the tenant", key)
        return _person(found)

    async def group_members(self, group_id: str) -> tuple[DirectoryPerson, ...] | None:
        members = self.client.groups.by_group_id(group_id).members
        what = f"members of group {group_id}"
        page = await self._ask(what, lambda: members.get())
        if page is None:
            log.warning("Graph: no group %s", group_id)
            return None
        people: list[DirectoryPerson] = []
        for _ in range(MAX_MEMBER_PAGES):
            people += [p for p in map(_person, page.value or []) if p is not None]
            link = page.odata_next_link
            if not link:
                break
            next_page = await self._ask(what, members.with_url(link).get)
            if next_page is None:
                break
            page = next_page
        return tuple(people)

    async def manager_of(self, object_id: str) -> DirectoryPerson | None:
        manager = await self._ask(f"manager of {object_id}",
                                  lambda: self.client.users.by_user_id(object_id).manager.get())
        return _person(manager)

    async def automatic_replies(self, object_id: str) -> AutomaticReplies | None:
        # 403: no mailbox, or no MailboxSettings.Read for this person: nothing is known about
        # their absence, which is not an outage.
        settings = await self._ask(f"mailbox settings of {object_id}",
                                   self.client.users.by_user_id(object_id).mailbox_settings.get,
                                   none_for=(403, 404))
        setting = settings.automatic_replies_setting if settings is not None else None
        status = replies_status(setting.status if setting is not None else None)
        if setting is None or status is None:
            return None
        return AutomaticReplies(status,
                                _utc(setting.scheduled_start_date_time),
                                _utc(setting.scheduled_end_date_time))

    async def personal_chat(self, object_id: str) -> str | None:
        """The bot's 1:1 chat with a person, installing the Teams app for them first (an owner
        who never talked to the bot); None when no app id is set or the person is missing."""
        if not self.teams_app_id:
            return None
        apps = self.client.users.by_user_id(object_id).teamwork.installed_apps
        bind = f"{self.client.request_adapter.base_url}/appCatalogs/teamsApps/{self.teams_app_id}"
        body = UserScopeTeamsAppInstallation(additional_data={"teamsApp@odata.bind": bind})
        try:
            await self._ask(f"Teams app install for {object_id}", lambda: apps.post(body),
                            none_for=(404, 409))  # 409: installed already
        except DirectoryUnavailable as exc:
            log.warning("Graph: the Teams app could not be installed for %s: %s", object_id,
                        exc.reason)
            return None
        query = InstalledAppsRequestBuilder.InstalledAppsRequestBuilderGetQueryParameters(
            filter=f"teamsApp/id eq '{self.teams_app_id}'", expand=["teamsApp"])
        listed = await self._ask(f"Teams apps of {object_id}", lambda: apps.get(
            request_configuration=RequestConfiguration(query_parameters=query)))
        installation = listed.value[0] if listed is not None and listed.value else None
        if installation is None or not installation.id:
            log.warning("Graph: the Teams app is not installed for %s", object_id)
            return None
        item = apps.by_user_scope_teams_app_installation_id(installation.id)
        chat = await self._ask(f"chat of {object_id}", lambda: item.chat.get())
        return chat.id if chat is not None else None

    async def _ask(self, what: str, call: Callable[[], Awaitable[T | None]],
                   none_for: tuple[int, ...] = (404,)) -> T | None:
        """One Graph call; None when the answer's status is one of `none_for` (not there)."""
        try:
            return await call()
        except APIError as exc:
            status = exc.response_status_code
            if status in none_for:
                if status == 403:
                    log.warning("Graph: HTTP 403 to %s, taken as nothing known", what)
                return None
            headers = exc.response_headers or {}
            if status in THROTTLED:
                wait = _retry_after(headers)
                raise DirectoryUnavailable(
                    f"Graph is throttling ({what}: HTTP {status}, retry after {wait} s)",
                    retry_after=wait if wait is not None else 30.0) from exc
            if status in (401, 403):
                raise DirectoryUnavailable(
                    f"Graph refused {what} (HTTP {status}): check the app registration's "
                    "permissions and admin consent (docs/graph.md)") from exc
            raise DirectoryUnavailable(f"Graph answered HTTP {status} to {what}") from exc
        except (httpx.HTTPError, AzureError, OSError) as exc:
            raise DirectoryUnavailable(
                f"Graph unreachable ({what}: {type(exc).__name__})") from exc


def _person(found: Any) -> DirectoryPerson | None:
    if not isinstance(found, User) or not found.id:
        return None
    email = found.mail or found.user_principal_name or ""
    return DirectoryPerson(found.id.lower(), found.display_name or email, email)


def _utc(value: DateTimeTimeZone | None) -> datetime | None:
    """A Graph dateTimeTimeZone in UTC (an unknown zone name is read as UTC, and logged)."""
    if value is None or not value.date_time:
        return None
    text = value.date_time.rstrip("Z")
    parsed = datetime.fromisoformat(text[:26] if "." in text else text)  # 7 fraction digits
    zone = value.time_zone or "UTC"
    try:
        tz = UTC if zone.upper() == "UTC" else ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("Graph: unknown time zone %r in automatic replies, read as UTC", zone)
        tz = UTC
    return parsed.replace(tzinfo=tz).astimezone(UTC)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = (headers.get("Retry-After") or headers.get("retry-after") or "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # Graph sends seconds; an HTTP date gets the default pause


def replies_status(status: object) -> RepliesStatus | None:
    """The mailbox's automatic-replies status, or None for one this code does not know (a
    newer Graph may add values): nothing is known about the person's absence then."""
    value = getattr(status, "value", status)
    if isinstance(value, tuple):  # the SDK's enums are typed as 1-tuples, not strings
        value = value[0] if value else None
    if value is None:
        return None
    try:
        return RepliesStatus(str(value))
    except ValueError:
        log.warning("directory: unknown automatic replies status %r, taken as not away", value)
        return None
