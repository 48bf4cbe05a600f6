"""Sphinx configuration of pcnsim's documentation site (``make docs`` builds it into docs/_build/html).

The Markdown pages of docs/ are the site's pages as they are (MyST reads GitHub Markdown); the user guide
includes the README; the API reference is generated from the docstrings (autodoc + numpydoc); the notebooks
of notebooks/ are copied into docs/notebooks/ (git-ignored) and rendered by MyST-NB. See docs/about.md for
why these tools, how notebooks are executed and what makes the build strict.

Nothing is fetched from outside at build or view time: no intersphinx, no MathJax (no page has math; a
page that had some would ask for ``mathjax_path`` below, a local file that does not exist, and the site
test would fail on the 404), no widget JavaScript from a CDN, and the theme's assets are all bundled.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # the package as it is in this tree (it is also installed, in editable mode)

import pcnsim  # noqa: E402

# -- notebooks: copies of notebooks/*.ipynb under docs/notebooks/ (Sphinx reads only its source folder) ----
NB_SRC, NB_DST = ROOT / "notebooks", DOCS / "notebooks"
NB_DST.mkdir(exist_ok=True)
for _nb in sorted(NB_SRC.glob("*.ipynb")):
    _copy = NB_DST / _nb.name
    if not _copy.exists() or not filecmp.cmp(_nb, _copy, shallow=False):
        shutil.copyfile(_nb, _copy)  # copied only when changed, so an unchanged notebook is not re-read
for _stale in NB_DST.glob("*.ipynb"):
    if not (NB_SRC / _stale.name).exists():
        _stale.unlink()

# Executed notebooks run in the fast mode (few replicates, short runs): the kernel inherits this.
os.environ.setdefault("PCNSIM_FAST", "1")

# -- project ------------------------------------------------------------------------------------------------
project = "pcnsim"
author = "pcnsim developers"
copyright = "pcnsim developers (MIT licence)"
release = pcnsim.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_nb",  # MyST Markdown (docs/*.md) and notebooks (*.ipynb)
]
root_doc = "index"
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "**/.ipynb_checkpoints"]

# -- strictness: the build runs with -W (every warning fails it) and nitpicky, so a reference to a pcnsim
# object that does not exist fails too. Names outside pcnsim (numpy, pandas, mesa, pydantic, the standard
# library) cannot be resolved offline (no intersphinx inventories), so only those are let through, and
# pcnsim's private helpers (a leading underscore: not documented) that signatures, base lists and docstrings
# name.
nitpicky = True
_OUTSIDE = ("numpy", "np", "pandas", "pd", "scipy", "matplotlib", "mesa", "pydantic", "pydantic_core", "SALib",
            "dask", "distributed", "pyarrow", "pyabc", "sklearn", "numba", "tqdm", "ema_workbench", "networkx", "typing", "collections",
            "pathlib", "datetime", "dt", "os", "io", "types", "enum", "concurrent", "multiprocessing", "tomllib",
            "json", "re", "argparse", "contextlib", "dataclasses", "functools")
_BUILTINS = ("int", "float", "complex", "str", "bool", "bytes", "dict", "list", "tuple", "set", "frozenset", "object",
             "type", "None", "Any", "Path", "Callable", "Iterable", "Iterator", "Sequence", "Mapping", "Literal",
             "Self", "ClassVar", "Generator", "TypeAdapter", "ValidationError", "Figure", "ndarray", "DataFrame",
             "Series")
nitpick_ignore_regex = [
    (r"py:.*", rf"({'|'.join(_OUTSIDE)})\..*"),
    (r"py:.*", rf"({'|'.join(_BUILTINS)})"),
    (r"py:.*", r"pcnsim\..*\._\w+(\..*)?"),  # private helpers (pcnsim.x._Mixing, a base class)
    (r"py:.*", r"_\w+(\..*)?"),  # the same, named as its module sees it (a docstring's :func:`_helper`)
]

# -- autodoc and numpydoc -----------------------------------------------------------------------------------
autodoc_default_options = {
    "members": True,
    "member-order": "bysource",
    "show-inheritance": True,
    # pydantic's machinery, documented by pydantic: not part of each model's own interface
    "exclude-members": "model_config, model_fields, model_computed_fields",
}
autodoc_typehints = "signature"
autodoc_class_signature = "mixed"
add_module_names = False
python_use_unqualified_type_names = True
numpydoc_show_class_members = False  # autodoc lists the members itself
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
# numpydoc drops a section it does not know (with only a Python warning): make that a build warning
numpydoc_validation_checks = {"GL06"}

# -- MyST and notebooks -------------------------------------------------------------------------------------
myst_heading_anchors = 3
myst_enable_extensions = ["deflist"]
# Which notebooks are executed (always in the fast mode): PCNSIM_DOCS_EXECUTE = "all" (the default, as make
# docs runs it: every notebook whose code changed since the last build; the rest come from the cache), "none"
# (code and text only), or notebook file names separated by commas (only those, uncached: the site test
# executes just the quickstart).
_execute = os.environ.get("PCNSIM_DOCS_EXECUTE", "all").strip()
_notebooks = sorted(p.name for p in NB_SRC.glob("*.ipynb"))
if _execute == "all":
    nb_execution_mode = "cache"
elif _execute == "none":
    nb_execution_mode = "off"
else:
    _chosen = {n.strip() for n in _execute.split(",") if n.strip()}
    if _chosen - set(_notebooks):
        raise ValueError(f"PCNSIM_DOCS_EXECUTE names notebooks that do not exist: {sorted(_chosen - set(_notebooks))}; "
                         f"notebooks: {', '.join(_notebooks)} (or 'all', 'none')")
    nb_execution_mode = "force"
    nb_execution_excludepatterns = [n for n in _notebooks if n not in _chosen]
nb_execution_cache_path = str(DOCS / "_build" / ".jupyter_cache")
nb_execution_timeout = 900
nb_execution_raise_on_error = True  # a notebook that fails fails the build
nb_execution_in_temp = True  # anything a notebook writes goes to a temporary folder
nb_merge_streams = True
nb_ipywidgets_js: dict[str, dict[str, str]] = {}  # never load widget JavaScript from a CDN

# -- HTML ---------------------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"pcnsim {release}"
html_static_path: list[str] = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 5,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_sidebars = {"index": [], "about": []}
html_show_sourcelink = False
html_copy_source = False
mathjax_path = "mathjax-is-not-bundled.js"  # see the module docstring


# -- readable signatures --------------------------------------------------------------------------------------
# autodoc would print the constructor that pydantic synthesises, with every field's full validation type
# (hundreds of characters a field). The fields, with types, units and ranges, are in each class's docstring
# (its Parameters section, or the parameter table for Params), so the signature lists only names and defaults.
# A dataclass field with a default factory shows as ``=<factory>``, which Sphinx cannot parse: ``=...``; and
# annotations that stayed strings lose their quotes.
MAX_SIGNATURE_FIELDS = 12


def readable_signature(app, what, name, obj, options, signature, return_annotation):
    """Pydantic models: ``(*, field=default, ...)``, own fields first; dataclasses: no ``<factory>``."""
    from pydantic import BaseModel

    if what in ("class", "exception") and isinstance(obj, type) and issubclass(obj, BaseModel):
        return _model_signature(obj), None
    if signature and ("<factory>" in signature or ": '" in signature):
        import re

        unquoted = re.sub(r": '([^']*)'", r": \1", signature)  # annotations left as strings
        return unquoted.replace("<factory>", "..."), return_annotation
    return None


def _model_signature(model: type) -> str:
    from typing import Literal, get_origin

    fields = model.model_fields
    own = [n for n in model.__dict__.get("__annotations__", {}) if n in fields]
    names = [n for n in own + [n for n in fields if n not in own]
             if not (n == "type" and get_origin(fields[n].annotation) is Literal)]  # implied by the class
    if len(names) > MAX_SIGNATURE_FIELDS:
        return "(**fields)"
    parts = []
    for n in names:
        f = fields[n]
        if f.is_required():
            parts.append(n)
        elif f.default_factory is not None:
            parts.append(f"{n}=...")
        else:
            parts.append(f"{n}={f.default!r}")
    return f"(*, {', '.join(parts)})" if parts else "()"


# -- a name as the docstring's module sees it ------------------------------------------------------------------
# A docstring may name what its module imports or re-exports (``:class:`PCNSimInputError``` in a module that
# imports it, ``:func:`run_sweep``` in pcnsim.sweep, ``:meth:`Intervention.state``` beside the class): Python
# resolves such a name in the module's namespace, and so does the reference here, to the one place the object
# is documented. A name that is not in the namespace, or whose object is documented nowhere, stays broken
# (and fails the build).
_MISSING = object()


def _import_path(path: str) -> object:
    """The object a dotted path names: the longest importable module, then attributes."""
    import importlib

    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        return _attributes(obj, parts[i:])
    return _MISSING


def _attributes(obj: object, names: list[str]) -> object:
    for n in names:
        obj = getattr(obj, n, _MISSING)
        if obj is _MISSING:
            return _MISSING
    return obj


def _same(a: object, b: object) -> bool:
    """The same object (a method fetched twice is two bound objects of one function)."""
    return a is not _MISSING and getattr(a, "__func__", a) is getattr(b, "__func__", b)


def resolve_visible_names(app, env, node, contnode):
    """Resolve a py reference that Sphinx could not through the namespace of the docstring's module."""
    import importlib

    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].removesuffix("()")
    modname, classname = node.get("py:module") or "", node.get("py:class") or ""
    found = []
    if target.startswith("pcnsim."):
        found.append(_import_path(target))
    if modname.startswith("pcnsim"):
        module = importlib.import_module(modname)
        if classname:
            found.append(_attributes(module, [*classname.split("."), *target.split(".")]))
        found.append(_attributes(module, target.split(".")))
    objects = [o for o in found if o is not _MISSING]
    if not objects:
        return None
    domain = env.get_domain("py")
    last = "." + target.rsplit(".", 1)[-1]
    names = sorted(name for name in domain.objects if name.startswith("pcnsim") and name.endswith(last)
                   and any(_same(_import_path(name), o) for o in objects))
    if len(names) != 1:
        return None
    return domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"], names[0], node, contnode)


# -- validated type aliases -----------------------------------------------------------------------------------
# autodoc appends "alias of ..." to a documented type alias; for the Annotated types of pcnsim.schema (a base
# type plus pydantic's validators and field constraints) that is a paragraph of validation plumbing. Their
# docstrings say what they accept; the plumbing is replaced by a pointer to the source.
def shorten_validated_aliases(app, doctree):
    from docutils import nodes
    from sphinx import addnodes

    for desc in doctree.findall(addnodes.desc):
        if desc.get("objtype") not in ("data", "attribute"):
            continue
        for content in desc.findall(addnodes.desc_content):
            for para in list(content.children):
                if isinstance(para, nodes.paragraph) and para.astext().startswith("alias of Annotated["):
                    para.replace_self(nodes.paragraph(text="A validated type (pydantic Annotated: its constraints "
                                                           "and messages are in the source)."))


def setup(app):
    app.connect("autodoc-process-signature", readable_signature)
    app.connect("doctree-read", shorten_validated_aliases)
    app.connect("missing-reference", resolve_visible_names)
