"""CustomTkinter's own fonts, found without copying them into the user's home folder.

On Linux, importing CustomTkinter copies its Roboto and shape fonts into `~/.fonts` so that
fontconfig finds them: files outside the app's folders, written on every start. Instead,
fontconfig is pointed at CustomTkinter's font folder by a config file in the app's config
folder (which includes the system's own), and the copy is skipped. This must run before
CustomTkinter is first imported; `gui/__init__.py` calls it.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
from html import escape
from pathlib import Path

from ..user_dirs import config_dir

log = logging.getLogger(__name__)
FONT_MANAGER = "customtkinter.windows.widgets.font.font_manager"
FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<!-- Written by AIImageClassifier: its widget fonts, then the system's configuration. -->
<fontconfig>
  <cachedir>{cache}</cachedir>
  <dir>{fonts}</dir>
  <include ignore_missing="yes">{system}</include>
</fontconfig>
"""


def _font_manager_without_copies(spec: importlib.machinery.ModuleSpec) -> None:
    """Load CustomTkinter's font manager first, with `load_font` answering that the font is
    available (fontconfig reads it in place), so the package's import finds it ready."""
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr] - checked when found
    manager = module.FontManager
    manager.init_font_manager = classmethod(lambda cls: True)
    manager.load_font = classmethod(lambda cls, font_path: os.path.isfile(font_path))
    sys.modules[FONT_MANAGER] = module


def _spec_without_parents(folder: str) -> importlib.machinery.ModuleSpec | None:
    """The font manager's spec, found without importing CustomTkinter itself: by path from
    source, by name from a frozen build's archive."""
    for finder in sys.meta_path:
        find = getattr(finder, "find_spec", None)
        spec = find(FONT_MANAGER, [folder]) if find else None
        if spec is not None and spec.loader is not None:
            return spec
    return None


def keep_fonts_in_app_folder() -> None:
    """On Linux, before CustomTkinter loads: fontconfig reads its fonts where they are."""
    if not sys.platform.startswith("linux") or "customtkinter" in sys.modules:
        return
    package = importlib.util.find_spec("customtkinter")
    if package is None or package.origin is None:
        return
    fonts = Path(package.origin).parent / "assets" / "fonts"
    manager = _spec_without_parents(str(fonts.parent.parent / "windows" / "widgets" / "font"))
    if manager is None or not fonts.is_dir():
        return
    folder = config_dir()
    conf = folder / "fonts.conf"
    system = os.environ.get("FONTCONFIG_FILE") or "/etc/fonts/fonts.conf"
    text = FONTS_CONF.format(cache=escape(str(folder / "fontconfig-cache")),
                             fonts=escape(str(fonts)), system=escape(system))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not conf.is_file() or conf.read_text(encoding="utf-8") != text:
            conf.write_text(text, encoding="utf-8")
    except OSError:
        log.warning("cannot write %s; CustomTkinter copies its fonts to ~/.fonts", conf)
        return
    os.environ["FONTCONFIG_FILE"] = str(conf)
    _font_manager_without_copies(manager)
