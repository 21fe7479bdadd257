"""The shape of the source tree: longest files and functions, loose dicts, routes that touch the database.

Usage: python bench/code_shape.py [--top N] [--root src/reelsmith]

Prints figures the structure of the code is judged by, so anyone can compare two checkouts:
the longest modules and functions, how often `dict[str, Any]` and bare status strings appear, and which
route modules still run SQL or hold sessions themselves (routes should call services).
"""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

STATUS_WORDS = ("queued", "processing", "completed", "failed", "canceled", "pending", "running", "done")
# A bare status string compared or assigned: `== "completed"`, `status="done"`, `in ("failed", ...)`.
BARE_STATUS = re.compile(
    r"""(==|!=|status\s*=|\bin\s*\(\(?)\s*["'](""" + "|".join(STATUS_WORDS) + r""")["']"""
)
SQL_IN_ROUTE = re.compile(
    # Not `@router.delete(` nor `def delete(`: SQLAlchemy's statement builders and session calls only.
    r"(?<![.\w])(?<!def )(select|update|delete|insert)\(|session\.(execute|scalar|scalars|get|add|query)\("
)


def functions(tree: ast.AST) -> list[tuple[int, str]]:
    """(lines, qualified name) of every function in a module."""
    found: list[tuple[int, str]] = []

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{child.name}"
                found.append(((child.end_lineno or child.lineno) - child.lineno + 1, name))
                walk(child, f"{name}.")
            elif isinstance(child, ast.ClassDef):
                walk(child, f"{prefix}{child.name}.")

    walk(tree, "")
    return found


def main() -> None:
    """Measure the tree and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=8)
    default_root = Path(__file__).resolve().parents[1] / "src" / "reelsmith"
    parser.add_argument("--root", type=Path, default=default_root)
    args = parser.parse_args()
    root: Path = args.root

    files: list[tuple[int, str]] = []
    funcs: list[tuple[int, str]] = []
    loose_dicts = bare_status = 0
    route_sql: list[str] = []
    for path in sorted(root.rglob("*.py")):
        rel = str(path.relative_to(root))
        text = path.read_text()
        files.append((text.count("\n"), rel))
        funcs.extend((n, f"{rel}::{name}") for n, name in functions(ast.parse(text)))
        loose_dicts += text.count("dict[str, Any]")
        bare_status += len(BARE_STATUS.findall(text))
        if "/routes/" in f"/{rel}" or rel.endswith("router.py"):
            hits = len(SQL_IN_ROUTE.findall(text))
            if hits:
                route_sql.append(f"{rel} ({hits})")

    print(f"python files: {len(files)}, lines: {sum(n for n, _ in files)}")
    print("longest files (lines):")
    for n, rel in sorted(files, reverse=True)[: args.top]:
        print(f"  {n:5d}  {rel}")
    print("longest functions (lines):")
    for n, name in sorted(funcs, reverse=True)[: args.top]:
        print(f"  {n:5d}  {name}")
    print(f"functions over 50 lines: {sum(1 for n, _ in funcs if n > 50)}")
    print(f"'dict[str, Any]' occurrences: {loose_dicts}")
    print(f"bare status strings compared or assigned: {bare_status}")
    print(f"route modules running SQL or session calls: {len(route_sql)}")
    for line in route_sql:
        print(f"  {line}")


if __name__ == "__main__":
    main()
