"""Sign-up, OAuth2 password tokens, browser login and logout."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from reelsmith.accounts.auth import issue_session, revoke_session
from reelsmith.accounts.service import authenticate, create_user
from reelsmith.api.deps import SESSION_COOKIE, RuntimeDep, UserDep
from reelsmith.api.schemas import UserRead, user_read

router = APIRouter(prefix="/api/auth", tags=["auth"])


class SignupRequest(BaseModel):
    """A new account."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=2, max_length=32)
    password: str = Field(min_length=8, max_length=200)
    email: str | None = Field(default=None, max_length=255)


class LoginRequest(BaseModel):
    """Browser login."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class TokenResponse(BaseModel):
    """An OAuth2 bearer token."""

    access_token: str
    token_type: str = "bearer"


class SignupResponse(BaseModel):
    """The new user and a bearer token for it."""

    user: UserRead
    access_token: str
    token_type: str = "bearer"


class LoginResponse(BaseModel):
    """The logged-in user and the CSRF token to send with unsafe requests."""

    user: UserRead
    csrf_token: str


def _set_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        max_age=14 * 24 * 3600,
        path="/",
    )


@router.post("/signup", status_code=201, response_model=SignupResponse)
def signup(body: SignupRequest, rt: RuntimeDep) -> dict[str, Any]:
    """Create an account with the sign-up token grant; returns a bearer token."""
    with rt.db.write() as session:
        user = create_user(
            session, body.username, body.password, email=body.email, tokens=rt.settings.signup_tokens
        )
        issued = issue_session(session, user.id, "bearer")
        return {"user": user_read(user), "access_token": issued.token}


@router.post("/token", response_model=TokenResponse)
def token(
    username: Annotated[str, Form(min_length=1, max_length=64)],
    password: Annotated[str, Form(min_length=1, max_length=200)],
    rt: RuntimeDep,
) -> dict[str, str]:
    """OAuth2 password flow: form fields username and password → a bearer access token."""
    with rt.db.write() as session:
        user = authenticate(session, username, password)
        return {"access_token": issue_session(session, user.id, "bearer").token, "token_type": "bearer"}


@router.post("/login", response_model=LoginResponse)
def login(body: LoginRequest, request: Request, response: Response, rt: RuntimeDep) -> dict[str, Any]:
    """Browser login: sets an httpOnly session cookie and returns the CSRF token for it."""
    with rt.db.write() as session:
        user = authenticate(session, body.username, body.password)
        issued = issue_session(session, user.id, "cookie")
        _set_cookie(request, response, issued.token)
        return {"user": user_read(user), "csrf_token": issued.csrf_token}


@router.post("/logout", status_code=204)
def logout(request: Request, response: Response, rt: RuntimeDep, _user: UserDep) -> Response:
    """End the browser session (or the bearer token used for this call)."""
    header = request.headers.get("authorization", "")
    secret = (
        header[7:].strip() if header.lower().startswith("bearer ") else request.cookies.get(SESSION_COOKIE)
    )
    if secret:
        with rt.db.write() as session:
            revoke_session(session, secret)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
