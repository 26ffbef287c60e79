"""Users and their personal API tokens.

A token is shown once, when it is created: ``hgr_<id>_<secret>``. Only the SHA-256 of the
secret is stored (the secret is 256 random bits, so a fast hash is enough: there is nothing to
brute-force), with its expiry and revocation.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hgr.auth.roles import Role
from hgr.db import Base

__all__ = ["ApiToken", "BrowserSession", "Credential", "User"]


class User(Base):
    """A person (or service) known to this node, with one role at one scope."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    scope: Mapped[str] = mapped_column(String(64), default="")
    # The organisation the person works for (name or identifier): four-eyes review keeps
    # reviewers from the requester's own organisation off a request.
    organisation: Mapped[str] = mapped_column(String(300), default="", server_default="")
    country: Mapped[str] = mapped_column(String(2), default="", server_default="")
    oidc_subject: Mapped[str | None] = mapped_column(String(500), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # HMAC of what the row grants, keyed outside the database (hgr.auth.seals).
    seal: Mapped[str | None] = mapped_column(String(64))

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")

    @property
    def role_enum(self) -> Role:
        return Role(self.role)


class ApiToken(Base):
    """A personal API token: public id, hash of the secret, expiry and revocation."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    secret_sha256: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    seal: Mapped[str | None] = mapped_column(String(64))  # hgr.auth.seals

    user: Mapped[User] = relationship(back_populates="tokens")


class Credential(Base):
    """A user's password for the console (an argon2id hash) and second factor (a TOTP secret,
    encrypted with a key the database does not hold), with the count of failed sign-ins that
    locks the account for a while (hgr.auth.passwords)."""

    __tablename__ = "user_credential"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    totp_secret: Mapped[str | None] = mapped_column(String(200))  # AES-GCM, base64
    totp_step: Mapped[int | None] = mapped_column(Integer)  # the last code accepted
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    seal: Mapped[str | None] = mapped_column(String(64))  # hgr.auth.seals


class BrowserSession(Base):
    """A signed-in browser: the SHA-256 of its cookie's secret, its user, its CSRF token, and
    when it was made, last used, ends at the latest, or was ended (hgr.auth.browser_sessions)."""

    __tablename__ = "browser_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    seal: Mapped[str | None] = mapped_column(String(64))  # hgr.auth.seals
