"""Fonts for charts: Japanese and other CJK names render instead of empty boxes.

Matplotlib's default font (DejaVu Sans) has no CJK glyphs. Since matplotlib 3.6
a text can fall back, glyph by glyph, to the next family of ``font.family``
(not to the next font of a generic family's list such as ``font.sans-serif``),
so :func:`enable_cjk_fallback` appends an installed CJK family to
``font.family``: Latin text keeps its usual look and only the characters the
first font lacks come from the CJK font. The project's setup (``make test``) installs Debian's
``fonts-noto-cjk``; IPA fonts work too.

>>> from salesim.report.fonts import enable_cjk_fallback
>>> families = enable_cjk_fallback()   # e.g. ['Noto Sans CJK JP'], [] when none is installed
"""

from __future__ import annotations

from pathlib import Path

from matplotlib import font_manager, rcParams

CJK_FAMILIES = ("Noto Sans CJK JP", "Noto Sans JP", "IPAexGothic", "IPAGothic",
                "Noto Sans CJK SC", "Source Han Sans JP", "TakaoGothic", "VL Gothic")
"""CJK sans-serif families, in order of preference."""

_FONT_FOLDERS = ("/usr/share/fonts", "/usr/local/share/fonts")
_FILE_HINTS = ("notosanscjk", "ipag", "ipaexg", "notosansjp", "sourcehansans", "takao",
               "vl-gothic")


def _known_families() -> set[str]:
    return {entry.name for entry in font_manager.fontManager.ttflist}


def _register_installed_fonts() -> None:
    """Add CJK font files installed after matplotlib built its font cache."""
    for folder in _FONT_FOLDERS:
        if not Path(folder).is_dir():
            continue
        for path in font_manager.findSystemFonts(fontpaths=[folder]):
            name = Path(path).name.lower().replace("_", "").replace(" ", "")
            if any(hint in name for hint in _FILE_HINTS) and "bold" not in name:
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue


def cjk_families() -> list[str]:
    """The installed CJK families of :data:`CJK_FAMILIES`, best first."""
    known = _known_families()
    found = [family for family in CJK_FAMILIES if family in known]
    if not found:
        _register_installed_fonts()
        known = _known_families()
        found = [family for family in CJK_FAMILIES if family in known]
    return found


def enable_cjk_fallback() -> list[str]:
    """Put the best installed CJK family behind matplotlib's font families, so
    that charts render CJK text; returns the family used (none when no CJK font
    is installed). Calling it again changes nothing."""
    found = cjk_families()[:1]
    families = rcParams["font.family"]
    families = [families] if isinstance(families, str) else list(families)
    added = [family for family in found if family not in families]
    if added:
        rcParams["font.family"] = [*families, *added]
    return found
