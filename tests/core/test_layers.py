"""The import rules between packages, read from the source with `ast` (lazy imports included).

Routers are doors into the domain: only the app factory knows all of them, and the API, the feed and
the web pages share what they need through `reelsmith.server`, never through each other.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "reelsmith"
ROUTERS = ("reelsmith.api.routes", "reelsmith.feed.router", "reelsmith.web.routes")


def module_name(path: Path) -> str:
    """`src/reelsmith/web/routes/__init__.py` → `reelsmith.web.routes`."""
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """Every module a file imports, anywhere in it; `from a import b` counts as `a` and `a.b`."""
    found: set[str] = set()
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


MODULES = {module_name(p): imported(p) for p in sorted(PACKAGE.rglob("*.py"))}


def within(name: str, prefix: str) -> bool:
    """Whether module `name` is `prefix` or lies inside it."""
    return name == prefix or name.startswith(prefix + ".")


@dataclass(frozen=True)
class Rule:
    """Modules under `importer` (but not `exempt`) import nothing under `forbidden`."""

    importer: str
    forbidden: tuple[str, ...]
    exempt: tuple[str, ...] = ()

    def breaches(self) -> list[str]:
        """`importer → imported` for every import that breaks the rule."""
        return sorted(
            f"{module} → {target}"
            for module, targets in MODULES.items()
            if within(module, self.importer) and not any(within(module, e) for e in self.exempt)
            for target in targets
            if any(within(target, f) for f in self.forbidden)
        )


RULES = [
    pytest.param(Rule("reelsmith.api", ("reelsmith.web", "reelsmith.feed")), id="api-not-web-or-feed"),
    pytest.param(
        Rule("reelsmith.web", ("reelsmith.api", "reelsmith.feed.router")), id="web-not-api-or-feed-router"
    ),
    pytest.param(Rule("reelsmith.feed", ("reelsmith.api", "reelsmith.web")), id="feed-not-api-or-web"),
    pytest.param(
        Rule(
            "reelsmith.server",
            ("reelsmith.api", "reelsmith.web", "reelsmith.feed"),
            ("reelsmith.server.app",),
        ),
        id="server-shares-without-knowing-routers",
    ),
    pytest.param(
        Rule("reelsmith", ROUTERS, ("reelsmith.server.app", *ROUTERS)),
        id="only-the-app-factory-imports-routers",
    ),
    pytest.param(
        Rule("reelsmith", ("reelsmith.server.app",), ("reelsmith.server.app", "reelsmith.cli")),
        id="only-the-cli-builds-the-app",
    ),
    pytest.param(Rule("reelsmith.pipeline", ("reelsmith.generations",)), id="pipeline-not-generations"),
    pytest.param(
        Rule(
            "reelsmith.media",
            (
                "reelsmith.pipeline",
                "reelsmith.generations",
                "reelsmith.api",
                "reelsmith.web",
                "reelsmith.feed",
                "reelsmith.server",
                "reelsmith.accounts",
                "reelsmith.jobs",
            ),
        ),
        id="media-stands-alone",
    ),
]


@pytest.mark.parametrize("rule", RULES)
def test_import_rule_holds(rule: Rule) -> None:
    assert rule.breaches() == []


def test_the_rules_see_imports() -> None:
    # A rule over modules the scan never found would pass for the wrong reason.
    assert "reelsmith.server.app" in MODULES
    assert "reelsmith.web.routes.public" in MODULES
    assert "reelsmith.api.routes.generations" in MODULES["reelsmith.server.app"]
    assert "reelsmith.web.routes" in MODULES["reelsmith.server.app"]
