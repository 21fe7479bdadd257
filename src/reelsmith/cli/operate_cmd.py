"""The commands that run Reelsmith as a service: `serve`, `worker`, `user create`, `db upgrade`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from reelsmith.cli.common import allow_stack_dumps, err, fail, load_settings, open_runtime, out


def worker_command(workers: Annotated[int | None, typer.Option(help="Worker threads.")] = None) -> None:
    """Consume the queue until interrupted (SIGINT/SIGTERM finish the running tasks first)."""
    from reelsmith.jobs.worker import run_worker

    allow_stack_dumps()
    rt = open_runtime()
    err.print(f"worker consuming {rt.settings.effective_queue_url}")
    run_worker(rt, workers)


def serve_command(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    no_worker: Annotated[bool, typer.Option("--no-worker", help="Do not consume the queue here.")] = False,
    forwarded_allow_ips: Annotated[
        str,
        typer.Option(
            envvar="FORWARDED_ALLOW_IPS",  # uvicorn's own name for it
            help="Proxies (comma-separated addresses, or *) whose X-Forwarded-Proto/-For are believed, "
            "so a request they received over HTTPS is seen as HTTPS.",
        ),
    ] = "127.0.0.1",
) -> None:
    """Serve the HTTP API (and the queue consumer, unless --no-worker)."""
    import uvicorn

    from reelsmith.logs import configure_logging
    from reelsmith.server.app import create_app

    allow_stack_dumps()
    settings = load_settings()
    configure_logging(settings)
    app_ = create_app(settings, runtime=open_runtime(), embedded_worker=not no_worker)
    err.print(f"Reelsmith on http://{host}:{port} (API docs at /docs)")
    uvicorn.run(
        app_,
        host=host,
        port=port,
        log_level="info",
        # JSON logs keep the handlers configured above; uvicorn's own config would replace them.
        log_config=None if settings.log_format == "json" else uvicorn.config.LOGGING_CONFIG,
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        # Open event streams would otherwise hold a SIGTERM'd server forever; watchers reconnect elsewhere.
        timeout_graceful_shutdown=settings.server_shutdown_grace_s,
    )


def user_create_command(
    name: Annotated[str, typer.Argument(help="Username.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    admin: Annotated[bool, typer.Option("--admin", help="Make the user an administrator.")] = False,
    tokens: Annotated[int | None, typer.Option(help="Starting tokens (default: the sign-up grant).")] = None,
) -> None:
    """Create a user account."""
    from reelsmith.accounts.service import create_user
    from reelsmith.errors import ReelsmithError

    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    rt = open_runtime()
    try:
        with rt.db.write() as session:
            user = create_user(
                session,
                name,
                password,
                is_admin=admin,
                tokens=rt.settings.signup_tokens if tokens is None else tokens,
            )
            out.print(f"created user {user.username} ({user.id}) with {user.token_balance} tokens")
    except ReelsmithError as e:
        fail(e.message)
    finally:
        rt.close()


def db_upgrade_command() -> None:
    """Apply database migrations."""
    from reelsmith.db.engine import Database
    from reelsmith.db.migrate import upgrade

    settings = load_settings()
    settings.ensure_data_dir()
    database = Database(settings.effective_database_url)
    upgrade(database)
    database.dispose()
    out.print("database is up to date")
