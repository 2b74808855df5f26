"""The user directory on a Cognito user pool."""

from __future__ import annotations

from typing import Any

from tradewind.adapters.aws import client
from tradewind.resources import USER_GROUPS
from tradewind.users.directory import UserPage, UserSummary


class CognitoUserDirectory:
    def __init__(self, user_pool_id: str) -> None:
        self._pool = user_pool_id
        self._cognito = client("cognito-idp")

    def _groups_by_user(self) -> dict[str, list[str]]:
        # One call per group instead of one per user: groups are few, users many.
        members: dict[str, list[str]] = {}
        for group in USER_GROUPS:
            paginator = self._cognito.get_paginator("list_users_in_group")
            for page in paginator.paginate(UserPoolId=self._pool, GroupName=group):
                for user in page["Users"]:
                    members.setdefault(user["Username"], []).append(group)
        return members

    def list_users(self, limit: int, next_token: str | None) -> UserPage:
        kwargs: dict[str, Any] = {"UserPoolId": self._pool, "Limit": limit}
        if next_token:
            kwargs["PaginationToken"] = next_token
        page = self._cognito.list_users(**kwargs)
        groups = self._groups_by_user()
        users = []
        for user in page["Users"]:
            attributes = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
            users.append(
                UserSummary(
                    user_id=attributes.get("sub", user["Username"]),
                    email=attributes.get("email", ""),
                    status=user["UserStatus"],
                    enabled=user["Enabled"],
                    groups=sorted(groups.get(user["Username"], [])),
                    created_at=user["UserCreateDate"],
                )
            )
        return UserPage(users=users, next_token=page.get("PaginationToken"))
