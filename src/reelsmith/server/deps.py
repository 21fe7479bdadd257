"""Request dependencies: the runtime, the public base URL, the caller, CSRF, owner checks that 404."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from reelsmith.accounts.auth import Principal, record_api_key_use, resolve_api_key, resolve_session
from reelsmith.db.models import Generation, User
from reelsmith.errors import CsrfFailed, NotFound, Unauthorized
from reelsmith.runtime import Runtime

SESSION_COOKIE = "reelsmith_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def get_runtime(request: Request) -> Runtime:
    """The runtime the app was built with."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def base_url(rt: Runtime, request: Request) -> str:
    """Where this server is reached from outside: the public URL, a trusted Host, else where it listens."""
    if rt.settings.public_url:
        return rt.settings.public_url
    # The Host header is the client's to choose; links built on it would point wherever it says.
    if (request.url.hostname or "").lower() in rt.settings.trusted_host_names:
        return str(request.base_url)
    host, port = request.scope.get("server") or ("localhost", None)
    if host in ("0.0.0.0", "::", ""):  # listening everywhere names no address to link to
        host = "localhost"
    if ":" in host:
        host = f"[{host}]"
    scheme = request.url.scheme
    default_port = {"http": 80, "https": 443}.get(scheme)
    netloc = host if port in (None, default_port) else f"{host}:{port}"
    return f"{scheme}://{netloc}{request.scope.get('root_path', '')}/"


def get_read_session(rt: RuntimeDep) -> Iterator[Session]:
    """A read-only database session for the request."""
    with rt.db.read() as session:
        yield session


ReadSession = Annotated[Session, Depends(get_read_session)]


def _principal(request: Request, rt: Runtime) -> Principal | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        secret = header[7:].strip()
        with rt.db.read() as session:
            by_key = resolve_api_key(session, secret)
            found = by_key[0] if by_key else resolve_session(session, secret, "bearer")
        if found is None:
            raise Unauthorized("invalid or expired bearer token")
        if by_key and by_key[1]:
            with rt.db.write() as session:
                record_api_key_use(session, by_key[1])
        return found
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        with rt.db.read() as session:
            return resolve_session(session, cookie, "cookie")
    return None


def optional_principal(request: Request, rt: RuntimeDep) -> Principal | None:
    """The caller if authenticated (and CSRF-clean), else None."""
    principal = _principal(request, rt)
    if principal is not None and principal.via == "cookie" and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or not secrets.compare_digest(sent, principal.csrf_token):
            raise CsrfFailed(f"missing or wrong {CSRF_HEADER} header for a cookie session")
    return principal


MaybePrincipal = Annotated[Principal | None, Depends(optional_principal)]


def current_principal(principal: MaybePrincipal) -> Principal:
    """The authenticated caller, or 401."""
    if principal is None:
        raise Unauthorized("authentication required: send Authorization: Bearer <token> or log in")
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def current_user(principal: PrincipalDep) -> User:
    """The authenticated user."""
    return principal.user


UserDep = Annotated[User, Depends(current_user)]


def _check_owner(gen: Generation | None, generation_id: str, user: User) -> Generation:
    if gen is None or (gen.user_id != user.id and not user.is_admin):
        raise NotFound(f"generation not found: {generation_id}")
    return gen


def owned_generation(generation_id: str, user: UserDep, session: ReadSession) -> Generation:
    """The caller's generation (admins see all); 404 for anyone else's, so existence is not leaked."""
    return _check_owner(session.get(Generation, generation_id), generation_id, user)


GenerationDep = Annotated[Generation, Depends(owned_generation)]


def owned_generation_id(generation_id: str, user: UserDep, rt: RuntimeDep) -> str:
    """Like `owned_generation`, but holds no session: for long responses such as event streams,
    which would otherwise keep a database connection (and its read snapshot) for their whole life."""
    with rt.db.read() as session:
        return _check_owner(session.get(Generation, generation_id), generation_id, user).id


GenerationIdDep = Annotated[str, Depends(owned_generation_id)]
