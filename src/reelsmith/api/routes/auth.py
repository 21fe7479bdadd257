"""Sign-up, OAuth2 password tokens, browser login and logout."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from reelsmith.accounts.ratelimit import Limiter
from reelsmith.accounts.service import NewAccount, log_in, log_out, sign_up
from reelsmith.accounts.throttle import LoginThrottle
from reelsmith.api.schemas import UserRead, user_read
from reelsmith.server.deps import SESSION_COOKIE, RuntimeDep, UserDep

router = APIRouter(prefix="/api/auth", tags=["auth"])


def login_throttle(request: Request) -> LoginThrottle:
    """The app's one sign-in throttle (made by the app factory beside the other limiters)."""
    throttle: LoginThrottle = request.app.state.login_throttle
    return throttle


ThrottleDep = Annotated[LoginThrottle, Depends(login_throttle)]


def signup_limiter(request: Request) -> Limiter:
    """The app's limit on sign-ups per client address."""
    limiter: Limiter = request.app.state.signup_limiter
    return limiter


SignupLimiterDep = Annotated[Limiter, Depends(signup_limiter)]


def client_address(request: Request) -> str:
    """The address failed sign-ins and sign-ups are counted against (the peer as the server sees it)."""
    return request.client.host if request.client else "unknown"


class SignupRequest(BaseModel):
    """A new account."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=2, max_length=32)
    password: str = Field(min_length=8, max_length=200)
    email: str | None = Field(default=None, max_length=255)
    # Required when sign-up is by invitation; ignored otherwise.
    invite_code: str | None = Field(default=None, max_length=200)


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
        secure=request.url.scheme == "https" or request.app.state.runtime.settings.force_https,
        max_age=14 * 24 * 3600,
        path="/",
    )


@router.post("/signup", status_code=201, response_model=SignupResponse)
def signup(
    body: SignupRequest,
    request: Request,
    rt: RuntimeDep,
    throttle: ThrottleDep,
    signups: SignupLimiterDep,
) -> dict[str, Any]:
    """Create an account with the sign-up token grant; returns a bearer token.

    Refused with 403 when sign-up is closed, 422 naming `invite_code` when an invitation is needed
    and the code is missing or wrong, and 429 when this address has signed up too often lately.
    """
    account = NewAccount(body.username, body.password, body.email, body.invite_code)
    login = sign_up(rt, throttle, signups, client_address(request), account)
    return {"user": user_read(login.user), "access_token": login.session.token}


@router.post("/token", response_model=TokenResponse)
def token(
    username: Annotated[str, Form(min_length=1, max_length=64)],
    password: Annotated[str, Form(min_length=1, max_length=200)],
    request: Request,
    rt: RuntimeDep,
    throttle: ThrottleDep,
) -> dict[str, str]:
    """OAuth2 password flow: form fields username and password → a bearer access token."""
    issued = log_in(rt, throttle, client_address(request), username, password, "bearer")
    return {"access_token": issued.session.token, "token_type": "bearer"}


@router.post("/login", response_model=LoginResponse)
def login(
    body: LoginRequest, request: Request, response: Response, rt: RuntimeDep, throttle: ThrottleDep
) -> dict[str, Any]:
    """Browser login: sets an httpOnly session cookie and returns the CSRF token for it."""
    signed_in = log_in(rt, throttle, client_address(request), body.username, body.password, "cookie")
    _set_cookie(request, response, signed_in.session.token)
    return {"user": user_read(signed_in.user), "csrf_token": signed_in.session.csrf_token}


@router.post("/logout", status_code=204)
def logout(request: Request, response: Response, rt: RuntimeDep, _user: UserDep) -> Response:
    """End the browser session (or the bearer token used for this call)."""
    header = request.headers.get("authorization", "")
    secret = (
        header[7:].strip() if header.lower().startswith("bearer ") else request.cookies.get(SESSION_COOKIE)
    )
    if secret:
        log_out(rt, secret)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
