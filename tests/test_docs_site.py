"""The documentation site: a strict build, every public name documented, and offline in a real browser.

The site is built once per test session, as ``make docs`` builds it (``sphinx-build -E -W --keep-going``:
fresh, every warning an error, nitpicky), except for the notebooks: ``make docs`` executes all of them in
the fast mode (``PCNSIM_FAST=1``, cached), while this build executes only the quickstart (so that a page
with real outputs, figures and tables, is checked) and renders the others unexecuted, which keeps the
build near a minute; ``tests/test_notebooks.py`` runs every notebook in the fast mode. The browser test
serves the built site on loopback, opens pages in Debian's chromium with every request outside loopback
refused, and fails on any page error, failed request or 4xx/5xx response. Waits are conditions on the page
under one generous ceiling (``helpers.CEILING_S``).
"""

from __future__ import annotations

import functools
import http.server
import importlib
import inspect
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from helpers import CEILING_S, wait_until

pytest.importorskip("sphinx", reason="the docs site needs the 'docs' extra (sphinx, myst-nb, numpydoc, theme)")

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
API = DOCS / "api"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXECUTED = "01_quickstart.ipynb"  # the one notebook the test build executes (fast mode)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-gpu"]


# ---------------------------------------------------------------------------------------------- the API
DIRECTIVE = re.compile(r"^\.\. (automodule|autoclass|autofunction|autodata):: *(\S+)\n((?:[ \t]+:[^\n]*\n?)*)", re.M)


def reference_directives() -> list[tuple[str, str, str]]:
    """(directive, target, options) of every autodoc directive in the API reference pages."""
    out = []
    for page in sorted(API.glob("*.rst")):
        out += [(m.group(1), m.group(2), m.group(3)) for m in DIRECTIVE.finditer(page.read_text(encoding="utf-8"))]
    return out


def documented_modules() -> dict[str, bool]:
    """Module -> whether the reference documents its members (automodule without ``:no-members:``)."""
    mods: dict[str, bool] = {}
    for kind, target, options in reference_directives():
        if kind == "automodule":
            mods[target] = mods.get(target, False) or ":no-members:" not in options
    return mods


def public_members(module) -> dict[str, object]:
    """What autodoc documents of a module: its ``__all__``, else the public classes and functions it defines."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n, o in vars(module).items() if not n.startswith("_")
                 and (inspect.isclass(o) or inspect.isfunction(o)) and getattr(o, "__module__", None) == module.__name__]
    return {n: getattr(module, n) for n in names}


def own_doc(obj) -> str:
    """A class's or function's own docstring (a dataclass's generated ``Name(fields)`` is none)."""
    doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else getattr(obj, "__doc__", None)
    doc = (doc or "").strip()
    if inspect.isclass(obj) and doc.startswith(f"{obj.__name__}("):  # dataclasses.dataclass wrote it
        return ""
    return doc


def class_methods(cls: type) -> dict[str, object]:
    """Public methods and properties a class defines itself (as autodoc lists them)."""
    out = {}
    for n, o in vars(cls).items():
        if n.startswith("_"):
            continue
        if isinstance(o, (staticmethod, classmethod)):
            o = o.__func__
        if inspect.isfunction(o) or isinstance(o, (property, functools.cached_property)):
            out[n] = o
    return out


def test_the_reference_documents_every_module_it_names():
    mods = documented_modules()
    assert {"pcnsim", "pcnsim.model", "pcnsim.agents", "pcnsim.params", "pcnsim.scenario", "pcnsim.interventions",
            "pcnsim.evaluate", "pcnsim.experiments", "pcnsim.sweep", "pcnsim.analysis", "pcnsim.calibration",
            "pcnsim.evidence"} <= set(mods)
    for name in mods:
        module = importlib.import_module(name)
        assert (module.__doc__ or "").strip(), f"module {name} has no docstring"


def test_every_public_name_of_a_package_is_documented_where_it_is_defined():
    """``pcnsim.__all__`` and the ``__all__`` of every documented package: each class and function is
    documented on some page (in the module that defines it, or by an explicit directive)."""
    mods = documented_modules()
    explicit = {t for kind, t, _ in reference_directives() if kind != "automodule"}
    missing = []
    for pkg in ("pcnsim", "pcnsim.interventions", "pcnsim.sweep", "pcnsim.calibration"):
        module = importlib.import_module(pkg)
        for n, obj in public_members(module).items():
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue  # data and modules (pcnsim.evaluate is a module you can call)
            home = obj.__module__
            if not (mods.get(home) or f"{pkg}.{n}" in explicit or f"{home}.{obj.__qualname__}" in explicit):
                missing.append(f"{pkg}.{n} (defined in {home})")
    assert not missing, f"public names the API reference does not document: {missing}"


def test_every_public_function_class_and_method_in_the_reference_has_a_docstring():
    missing = []
    targets: dict[str, object] = {}
    for name, members in documented_modules().items():
        if members:
            module = importlib.import_module(name)
            targets |= {f"{name}.{n}": o for n, o in public_members(module).items()
                        if getattr(o, "__module__", None) == name}  # re-exports are checked where they live
    for kind, target, _ in reference_directives():
        if kind in ("autoclass", "autofunction"):
            mod, _, attr = target.rpartition(".")
            targets[target] = getattr(importlib.import_module(mod), attr)
    for qual, obj in sorted(targets.items()):
        if inspect.isclass(obj):
            if not own_doc(obj):
                missing.append(qual)
            for m, meth in class_methods(obj).items():
                doc = inspect.getdoc(getattr(obj, m)) if not isinstance(meth, property) else meth.__doc__
                if not (doc or "").strip():  # an override may inherit the docstring it overrides
                    missing.append(f"{qual}.{m}")
        elif callable(obj) and not own_doc(obj):
            missing.append(qual)
    assert not missing, f"{len(missing)} public names without a docstring: {missing}"


def test_every_public_function_and_class_of_the_package_has_a_docstring():
    """Beyond the reference: every module of pcnsim that is not private (the command line and the teaching
    app included), its public classes and functions (``__all__``, else what it defines) and their methods."""
    import pkgutil

    import pcnsim

    names = ["pcnsim"] + [m.name for m in pkgutil.walk_packages(pcnsim.__path__, "pcnsim.")
                          if not any(part.startswith("_") for part in m.name.split(".")[1:])]
    missing = []
    for name in names:
        module = importlib.import_module(name)
        if not (module.__doc__ or "").strip():
            missing.append(f"{name} (module)")
        for n, obj in public_members(module).items():
            if not (inspect.isclass(obj) or inspect.isfunction(obj)) or obj.__module__ != name:
                continue  # data, and re-exports (checked where they are defined)
            if not own_doc(obj):
                missing.append(f"{name}.{n}")
            if inspect.isclass(obj):
                for m, meth in class_methods(obj).items():
                    doc = inspect.getdoc(getattr(obj, m)) if not isinstance(meth, property) else meth.__doc__
                    if not (doc or "").strip():
                        missing.append(f"{name}.{n}.{m}")
    assert not missing, f"{len(missing)} public names without a docstring: {missing}"


def test_readme_links_the_site_and_says_how_to_build_it():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/_build/html/index.html" in text and "make docs" in text
    assert "<!-- guide:start -->" in text  # where docs/guide.md starts including it
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"sphinx[^\n]* -W --keep-going", make) and " -E " in make


# ---------------------------------------------------------------------------------------------- the build
@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The site, built strictly once per session into a temporary folder (only the quickstart notebook
    executed, in the fast mode: docs/conf.py sets ``PCNSIM_FAST=1`` for the kernel)."""
    out = tmp_path_factory.mktemp("docs-site")
    cmd = [sys.executable, "-m", "sphinx", "-E", "-W", "--keep-going", "-q", "-b", "html",
           "-d", str(out / "doctrees"), str(DOCS), str(out / "html")]
    env = {**os.environ, "PCNSIM_DOCS_EXECUTE": EXECUTED}
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=CEILING_S * 2)
    print(f"\ndocs site built in {time.perf_counter() - t0:.1f} s")
    assert done.returncode == 0, f"the strict docs build failed:\n{done.stdout[-5000:]}\n{done.stderr[-10000:]}"
    return out / "html"


PROBE = '''"""A module whose docstrings are wrong in every way the strict build must catch."""


def broken_reference():
    """Calls :func:`pcnsim.experiments.no_such_function` on a :class:`NoSuchClass`."""


def bad_markup():
    """Text.

    * a list item
      continued
     then badly indented
    """


def unknown_section():
    """Text.

    Frobnicate
    ----------
    numpydoc would drop this section silently.
    """
'''


def test_the_strict_build_fails_on_a_broken_reference_a_bad_docstring_or_a_broken_link(tmp_path):
    """The project's own configuration (docs/conf.py, ``-W --keep-going``) on a small source folder: every
    kind of rot named in docs/about.md fails the build, and the message says where."""
    (tmp_path / "pcnsim_docs_probe.py").write_text(PROBE, encoding="utf-8")
    src = tmp_path / "src"
    src.mkdir()
    (src / "index.md").write_text("# Probe\n\nSee [a page that does not exist](missing.md).\n\n"
                                  "```{eval-rst}\n.. automodule:: pcnsim_docs_probe\n```\n", encoding="utf-8")
    cmd = [sys.executable, "-m", "sphinx", "-E", "-W", "--keep-going", "-q", "-b", "html", "-c", str(DOCS),
           "-d", str(tmp_path / "doctrees"), str(src), str(tmp_path / "html")]
    env = {**os.environ, "PCNSIM_DOCS_EXECUTE": "none", "PYTHONPATH": str(tmp_path)}
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=CEILING_S)
    log = done.stdout + done.stderr
    assert done.returncode != 0, log
    assert "pcnsim.experiments.no_such_function" in log, log  # a broken cross-reference
    assert "NoSuchClass" in log, log  # unqualified, too
    assert "docstring of pcnsim_docs_probe.bad_markup" in log, log  # reStructuredText that does not parse
    assert 'unknown section "Frobnicate"' in log, log  # a section numpydoc does not know
    assert "missing.md" in log, log  # a broken link between pages


def test_strict_build_has_every_page(site):
    for page in ("index", "guide", "interventions", "sweeps", "national", "app", "notebooks", "ODD",
                 "parameters", "evidence", "calibration", "about", "api/index", "api/model", "api/interventions",
                 "api/experiments", "api/sweep", "api/calibration", "search"):
        assert (site / f"{page}.html").is_file(), page
    assert EXECUTED in {p.name for p in NOTEBOOKS}
    assert all((site / "notebooks" / f"{p.stem}.html").is_file() for p in NOTEBOOKS)
    # the executed notebook shows its outputs (fast mode: the first cell prints it), the others only code
    quick = (site / "notebooks" / EXECUTED.replace(".ipynb", ".html")).read_text(encoding="utf-8")
    assert "fast mode" in quick and quick.count('<img alt=') >= 1
    api = (site / "api" / "experiments.html").read_text(encoding="utf-8")
    assert 'id="pcnsim.experiments.Comparison"' in api and 'id="pcnsim.experiments.compare"' in api
    # the pages of docs/ link to each other as on GitHub, and the links became links between pages
    odd = (site / "ODD.html").read_text(encoding="utf-8")
    assert 'href="parameters.html"' in odd and 'href="evidence.html"' in odd


def test_no_page_loads_anything_from_outside(site):
    """Every script, style sheet, image and frame of every page is a file of the site (links to other sites
    are fine: following one is the reader's choice, not something the page fetches). This also catches a
    page with math, which would ask for MathJax: docs/conf.py points it at a file that does not exist."""
    asset = re.compile(r"<(script|link|img|iframe|source|video|audio)\b[^>]*?\b(src|href)=\"([^\"]+)\"", re.I)
    outside, missing = [], []
    pages = [p for p in site.rglob("*.html") if p.relative_to(site).parts[0] != "_static"]  # (theme templates)
    assert len(pages) > 30
    for page in pages:
        for m in asset.finditer(page.read_text(encoding="utf-8")):
            url = m.group(3)
            where = f"{page.relative_to(site)}: <{m.group(1)} {url}>"
            if re.match(r"(?:[a-z][a-z0-9+.-]*:)?//", url, re.I):
                outside.append(where)
            elif not url.startswith(("data:", "#")) and not (page.parent / url.split("#")[0].split("?")[0]).exists():
                missing.append(where)
    assert not outside, outside[:20]
    assert not missing, missing[:20]


@pytest.fixture(scope="module")
def served(site):
    """The built site served on a free loopback port (stopped at the end)."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (scripts/bootstrap.sh test installs "
                                             "Debian's chromium when it can)")
def test_site_in_a_real_browser_offline(served):
    from playwright.sync_api import expect, sync_playwright

    problems: list[str] = []
    blocked: list[str] = []
    local = served.rstrip("/")

    def only_local(route):
        url = route.request.url
        if url.startswith((local, "data:", "blob:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    ceiling_ms = CEILING_S * 1000
    expect.set_options(timeout=ceiling_ms)
    pages = {  # page -> text it must show
        "index.html": "Where to start",
        "api/model.html": "PCNModel",
        "api/experiments.html": "Comparison",
        f"notebooks/{EXECUTED.replace('.ipynb', '.html')}": "pcnsim quickstart",
        "search.html?q=SweepSpec": "SweepSpec",
    }
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(ceiling_ms)
            page.route("**/*", only_local)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} {r.failure}"))
            page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
            for path, text in pages.items():
                page.goto(served + path, wait_until="load")
                expect(page.locator("main").get_by_text(text).first).to_be_visible()
                # the theme's style sheets were applied (the page is laid out, not bare HTML)
                wait_until(lambda: page.evaluate("() => document.styleSheets.length >= 3 && getComputedStyle("
                                                 "document.querySelector('.bd-header')).display !== 'none'"),
                           f"the theme's layout on {path}")
                if path.startswith("notebooks"):  # its figures were loaded and drawn
                    wait_until(lambda: page.evaluate("() => { const im = Array.from(document.querySelectorAll("
                                                     "'main .cell_output img')); return im.length > 0 && "
                                                     "im.every(i => i.complete && i.naturalWidth > 100); }"),
                               "the notebook's figures to load")
                if path.startswith("search"):  # the search index (a local script) found the class
                    expect(page.locator("#search-results a", has_text="SweepSpec").first).to_be_visible()
        finally:
            browser.close()
    assert not problems, "\n".join(problems)
    assert not blocked, f"the site asked for outside addresses: {blocked}"
