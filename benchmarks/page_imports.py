"""What each page of the app costs to import: seconds, MB of memory, and whether TensorFlow came along.

For every page script (the ``PAGES`` of ``ui/pages.py`` when that registry exists, otherwise
``app_pages/*.py``), a fresh Python process imports ``streamlit`` first (every page needs it, so it
is not counted), then, found with :mod:`ast` and without running the page:

1. **imports**: the page's own module-level ``import`` statements, run as written. They pull in
   the ``ui.*`` and ``facedemo.*`` modules behind them.
2. **+ lazy**: the imports written *inside functions* on the page's path, which run on first use
   (this is how TensorFlow gets in: ``import keras`` inside a training function): those of the
   page itself, of the ``ui.*`` modules it imports (and the ``ui.*`` modules they import), and of
   the ``facedemo.*`` modules those name. A static approximation of "what a first visit imports":
   a function it counts may not be called on every visit, and one further down is not counted.

Reported per page, as the median of ``--repeat`` fresh processes: the seconds each step took, the
MB of resident memory (``VmRSS``) it added, and whether TensorFlow/Keras and scikit-learn were
loaded by then; below the table, which lazy import brought TensorFlow.

``--visit`` adds the ground truth for step 2: a fresh process per page opens the app with
Streamlit's ``AppTest`` (the router, the sidebar and the start page first: their median cost is
printed above the table), then switches to the page and runs it for real (model, gallery,
training: everything a first visit does), and reports that run's seconds, MB and whether
TensorFlow/Keras was imported.

    .venv/bin/python benchmarks/page_imports.py                      # this checkout
    .venv/bin/python benchmarks/page_imports.py --root /work/baseline --repeat 5 --json out.json
    .venv/bin/python benchmarks/page_imports.py --visit                # also open every page (slower)

``--root`` measures another checkout with this interpreter (for a before/after comparison). Every
child process is bounded by ``--timeout`` seconds. Nothing here is asserted; it only measures.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import statistics
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
HEAVY = ("tensorflow", "keras")
LIBRARY = "sklearn"
OURS = ("ui", "facedemo")

# Runs in the fresh process. argv: the checkout, the page's import statements (source), and the lazy
# imports as JSON [[module, optional], ...] (optional: a `from X import Y` whose Y may be a name, not a module).
CHILD = r"""
import importlib, json, os, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
root, imports, lazy = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
sys.path.insert(0, root)
os.chdir(root)
HEAVY, LIBRARY = %(heavy)r, %(library)r

def rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")

def step(action):
    modules, rss, start = len(sys.modules), rss_mb(), time.perf_counter()
    action()
    return {"seconds": time.perf_counter() - start, "mb": rss_mb() - rss, "modules": len(sys.modules) - modules,
            "tensorflow": any(m in sys.modules for m in HEAVY), "sklearn": LIBRARY in sys.modules}

def import_lazily():
    for name, optional in lazy:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as error:
            if not (optional and error.name == name):
                raise

start = time.perf_counter()
import streamlit  # noqa: F401  (every page needs it: not counted)
streamlit_s = time.perf_counter() - start
page = step(lambda: exec(compile(imports, "<page imports>", "exec"), {"__name__": "page_imports"}))
with_lazy = step(import_lazily)
print(json.dumps({"streamlit_s": streamlit_s, "page": page, "lazy": with_lazy}))
""" % {"heavy": HEAVY, "library": LIBRARY}

# Runs in the fresh process for --visit. argv: the checkout, the page script, AppTest's timeout in seconds.
VISIT_CHILD = r"""
import json, os, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
root, page, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
sys.path.insert(0, root)
os.chdir(root)
from streamlit.testing.v1 import AppTest
HEAVY, LIBRARY = %(heavy)r, %(library)r

def rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")

at = AppTest.from_file("streamlit_app.py", default_timeout=timeout)
rss, start = rss_mb(), time.perf_counter()
at.run()  # the router, the sidebar and the start page: reported apart
start_s, start_mb = time.perf_counter() - start, rss_mb() - rss
had_heavy = any(m in sys.modules for m in HEAVY)
rss, start = rss_mb(), time.perf_counter()
at.switch_page(page).run()
print(json.dumps({"start_s": start_s, "start_mb": start_mb, "seconds": time.perf_counter() - start, "mb": rss_mb() - rss,
                  "tensorflow": any(m in sys.modules for m in HEAVY), "tensorflow_before": had_heavy,
                  "sklearn": LIBRARY in sys.modules, "errors": [str(e.value)[:200] for e in at.exception]}))
""" % {"heavy": HEAVY, "library": LIBRARY}

# Reads ui/pages.py's PAGES in a fresh process and prints the page scripts' paths, relative to the root.
PAGES_CHILD = r"""
import json, os, sys
from pathlib import Path
root = Path(sys.argv[1]).resolve()
sys.path.insert(0, str(root))
os.chdir(root)
from ui.pages import PAGES

def script(entry):
    if isinstance(entry, (str, os.PathLike)):
        return entry
    for name in ("path", "script", "file", "page", "_page"):  # a dataclass, a dict, or an st.Page
        value = entry.get(name) if isinstance(entry, dict) else getattr(entry, name, None)
        if isinstance(value, (str, os.PathLike)):
            return value
    raise SystemExit(f"cannot tell the page script of {entry!r} in ui/pages.py")

entries = PAGES.values() if isinstance(PAGES, dict) else PAGES
paths = [Path(script(e)) for e in entries]
print(json.dumps([str(p.resolve().relative_to(root)) if p.is_absolute() else str(p) for p in paths]))
"""


@dataclass(frozen=True)
class Step:
    """One step's cost in a fresh process (medians); ``tensorflow``/``sklearn``: loaded by the end of it."""

    seconds: float
    mb: float
    modules: int
    tensorflow: bool
    sklearn: bool


@dataclass(frozen=True)
class Visit:
    """``--visit``: one real first visit of the page (medians); ``errors``: what the page showed as exceptions.

    ``start_s``, ``start_mb``: the router, sidebar and start page run before it, in the same process.
    """

    start_s: float
    start_mb: float
    seconds: float
    mb: float
    tensorflow: bool
    sklearn: bool
    errors: list[str]


@dataclass(frozen=True)
class PageCost:
    """One page: its module-level imports, then the lazy imports on its path (see the module docstring)."""

    page: str
    imports: Step
    lazy: Step
    heavy_from: list[str]  # "keras (facedemo.analysis.classifier)": where a lazy TensorFlow/Keras import is written
    streamlit_s: float
    visit: Visit | None = None


# --------------------------------------------------------------------------- reading the code


def page_scripts(root: Path, *, timeout: float) -> tuple[list[str], str]:
    """The page scripts to measure, relative to ``root``, and where the list came from."""
    if (root / "ui" / "pages.py").is_file():
        done = subprocess.run([sys.executable, "-c", PAGES_CHILD, str(root)], capture_output=True, text=True,
                              timeout=timeout, cwd=root)
        if done.returncode != 0:
            raise SystemExit(f"reading PAGES from {root / 'ui' / 'pages.py'} failed:\n{done.stderr[-2000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1]), "ui/pages.py PAGES"
    pages = sorted(str(p.relative_to(root)) for p in (root / "app_pages").glob("*.py"))
    if not pages:
        raise SystemExit(f"no page scripts in {root / 'app_pages'}")
    return pages, "app_pages/*.py"


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def module_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Import statements that run when the module runs (also under ``if``/``try``/``with``), in order.

    Left out: imports inside functions and classes, ``if TYPE_CHECKING:`` blocks, and ``from __future__``.
    """
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import) or (isinstance(node, ast.ImportFrom) and node.module != "__future__"):
                found.append(node)
            elif isinstance(node, ast.If) and not _is_type_checking(node):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, (ast.Try, ast.With)):
                for part in ("body", "orelse", "finalbody"):
                    visit(getattr(node, part, []))
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)

    visit(tree.body)
    return found


def function_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Import statements written inside functions (and methods): they run on a first call."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found += [n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))]
    return list(dict.fromkeys(found))  # nested functions are walked twice


def _source(root: Path, module: str) -> Path | None:
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_modules(node: ast.Import | ast.ImportFrom, root: Path, here: str) -> list[tuple[str, bool]]:
    """``(module, optional)`` for each module a statement imports; ``here`` resolves relative imports.

    ``from X import Y`` imports ``X``, and ``X.Y`` when that is a module: for our own code the file
    decides; for a library ``X.Y`` is tried and may turn out to be a plain name (``optional``).
    """
    if isinstance(node, ast.Import):
        return [(alias.name, False) for alias in node.names]
    package = node.module or ""
    if node.level:
        parts = here.split(".")[: -node.level]
        package = ".".join(parts + ([node.module] if node.module else []))
    found = [(package, False)]
    for alias in node.names:
        sub = f"{package}.{alias.name}"
        if package.split(".")[0] in OURS:
            if _source(root, sub):
                found.append((sub, False))
        elif alias.name != "*":
            found.append((sub, True))
    return found


def page_imports(root: Path, page: str) -> tuple[str, list[tuple[str, bool]], list[str]]:
    """The page's import statements (source to run), its lazy imports, and where the heavy ones are written."""
    script = root / page
    tree = ast.parse(script.read_text(encoding="utf-8"), filename=str(script))
    statements = module_level_imports(tree)
    here = page[: -len(".py")].replace("/", ".")
    # the page, the ui modules it reaches through ui modules, and the facedemo modules those name
    visit: list[tuple[str, ast.Module, bool]] = [(here, tree, True)]
    seen = {here}
    lazy: dict[str, bool] = {}
    heavy_from: list[str] = []
    while visit:
        name, module_tree, follow = visit.pop(0)
        for node in function_imports(module_tree):
            for dep, optional in imported_modules(node, root, name):
                lazy.setdefault(dep, optional)
                if dep.split(".")[0] in HEAVY:
                    heavy_from.append(f"{dep} ({name})")
        if not follow:
            continue
        for node in module_level_imports(module_tree):
            for dep, _ in imported_modules(node, root, name):
                path = _source(root, dep) if dep.split(".")[0] in OURS else None
                if path is None or dep in seen:
                    continue
                seen.add(dep)
                visit.append((dep, ast.parse(path.read_text(encoding="utf-8"), filename=str(path)),
                              dep.split(".")[0] == "ui"))
    return "\n".join(ast.unparse(node) for node in statements), list(lazy.items()), sorted(set(heavy_from))


# --------------------------------------------------------------------------- measuring


def measure_once(root: Path, imports: str, lazy: list[tuple[str, bool]], *, timeout: float) -> dict:
    """One fresh process: streamlit, the page's imports, then its lazy imports; its JSON line as a dict."""
    done = subprocess.run([sys.executable, "-c", CHILD, str(root), imports, json.dumps(lazy)],
                          capture_output=True, text=True, timeout=timeout, cwd=root)
    if done.returncode != 0:
        raise RuntimeError(f"importing failed (exit {done.returncode}):\n{imports}\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def visit_once(root: Path, page: str, *, timeout: float) -> dict:
    """One fresh process opens the app and then ``page`` with AppTest; its JSON line as a dict."""
    done = subprocess.run([sys.executable, "-c", VISIT_CHILD, str(root), page, str(timeout)],
                          capture_output=True, text=True, timeout=timeout + 60, cwd=root)
    if done.returncode != 0:
        raise RuntimeError(f"visiting {page} failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result.pop("tensorflow_before"):
        raise RuntimeError(f"TensorFlow was already imported before {page} was opened (by the router or start page)")
    return result


def _median_step(results: list[dict]) -> Step:
    median = lambda key: statistics.median(r[key] for r in results)  # noqa: E731
    return Step(seconds=median("seconds"), mb=median("mb"), modules=int(median("modules")),
                tensorflow=any(r["tensorflow"] for r in results), sklearn=any(r["sklearn"] for r in results))


def _median_visit(results: list[dict]) -> Visit:
    return Visit(start_s=statistics.median(r["start_s"] for r in results),
                 start_mb=statistics.median(r["start_mb"] for r in results),
                 seconds=statistics.median(r["seconds"] for r in results),
                 mb=statistics.median(r["mb"] for r in results),
                 tensorflow=any(r["tensorflow"] for r in results), sklearn=any(r["sklearn"] for r in results),
                 errors=sorted({e for r in results for e in r["errors"]}))


def measure(root: Path, *, repeat: int = 3, timeout: float = 180.0, visit: bool = False
            ) -> tuple[list[PageCost], str]:
    """Every page's :class:`PageCost`; the repeats are interleaved (page 1, 2, ..., then again)."""
    pages, source = page_scripts(root, timeout=timeout)
    found = {page: page_imports(root, page) for page in pages}
    runs: dict[str, list[dict]] = {page: [] for page in pages}
    visits: dict[str, list[dict]] = {page: [] for page in pages}
    for _ in range(repeat):
        for page in pages:
            imports, lazy, _ = found[page]
            runs[page].append(measure_once(root, imports, lazy, timeout=timeout))
            if visit:
                visits[page].append(visit_once(root, page, timeout=timeout))
    costs = [PageCost(page=page, imports=_median_step([r["page"] for r in results]),
                      lazy=_median_step([r["lazy"] for r in results]), heavy_from=found[page][2],
                      streamlit_s=statistics.median(r["streamlit_s"] for r in results),
                      visit=_median_visit(visits[page]) if visit else None)
             for page, results in runs.items()]
    return costs, source


def table(costs: list[PageCost]) -> str:
    """A Markdown table, one row per page, then where the lazy TensorFlow imports are written."""
    yes = lambda flag: "yes" if flag else "no"  # noqa: E731
    visits = all(c.visit for c in costs)
    rows = ["| page | imports s | MB | TF | sklearn | + lazy s | + lazy MB | TF | sklearn |"
            + (" visit s | visit MB | TF |" if visits else ""),
            "|---|---:|---:|---|---|---:|---:|---|---|" + ("---:|---:|---|" if visits else "")]
    rows += [f"| {c.page} | {c.imports.seconds:.2f} | {c.imports.mb:.0f} | {yes(c.imports.tensorflow)} | "
             f"{yes(c.imports.sklearn)} | {c.lazy.seconds:.2f} | {c.lazy.mb:.0f} | {yes(c.lazy.tensorflow)} | "
             f"{yes(c.lazy.sklearn)} |"
             + (f" {c.visit.seconds:.2f} | {c.visit.mb:.0f} | {yes(c.visit.tensorflow)} |" if visits else "")
             for c in costs]
    notes = [f"- {c.page}: TensorFlow/Keras from {', '.join(c.heavy_from)}" for c in costs if c.heavy_from]
    notes += [f"- {c.page}: the visit showed an exception: {e}" for c in costs if c.visit for e in c.visit.errors]
    return "\n".join(rows + ([""] + notes if notes else []))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=HERE, help="the checkout to measure (default: this one)")
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes per page; the median is shown")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds one child process may take")
    parser.add_argument("--visit", action="store_true",
                        help="also open every page with AppTest in a fresh process (a real first visit; slower)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error(f"--repeat must be 1 or more, got {args.repeat}")
    root = args.root.resolve()
    costs, source = measure(root, repeat=args.repeat, timeout=args.timeout, visit=args.visit)
    streamlit_s = statistics.median(c.streamlit_s for c in costs)
    print(f"{root} ({source}; median of {args.repeat} fresh processes per page; streamlit itself "
          f"{streamlit_s:.2f} s, not counted; load average {os.getloadavg()[0]:.2f})")
    print("imports: the page's module-level imports; + lazy: then the imports inside functions on its path "
          "(TF/sklearn columns: loaded by the end of that step)"
          + ("; visit: AppTest opens the page after the start page (a real first visit)" if args.visit else ""))
    if args.visit:
        print(f"visit: before each page, the router + sidebar + start page took "
              f"{statistics.median(c.visit.start_s for c in costs):.2f} s and "
              f"{statistics.median(c.visit.start_mb for c in costs):.0f} MB (median), not in the visit columns")
    print(table(costs))
    if args.json:
        args.json.write_text(json.dumps({"root": str(root), "pages_from": source, "repeat": args.repeat,
                                         "pages": [asdict(c) for c in costs]}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
