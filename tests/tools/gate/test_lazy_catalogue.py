"""The gate's default catalogue loads on first need, and is the catalogue: same tools, same order, same objects."""

from __future__ import annotations

from tools.catalog import CATALOG
from tools.catalog_light import LIGHT
from tools.gate.gate import _Catalogue


def test_the_lazy_catalogue_is_the_catalogue() -> None:
    lazy = _Catalogue()
    assert all(lazy.get(name) is CATALOG[name] for name in LIGHT)  # before the full load: the same entries
    assert list(lazy) == list(CATALOG) and len(lazy) == len(CATALOG)
    assert all(lazy[name] is tool and lazy.get(name) is tool for name, tool in CATALOG.items())
    assert lazy.get("no_such_tool") is None and "no_such_tool" not in lazy
    assert list(CATALOG)[:len(LIGHT)] == list(LIGHT)  # the model is offered them in the same order as before
