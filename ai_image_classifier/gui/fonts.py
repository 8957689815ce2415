"""CustomTkinter's own fonts, found without copying them into the user's home folder.

On Linux, importing CustomTkinter copies its Roboto and shape fonts into `~/.fonts` so that
fontconfig finds them: files outside the app's folders, written on every start. Instead,
fontconfig is pointed at CustomTkinter's font folder by a config file in the app's config
folder (which includes the system's own), and the copy is skipped: an import hook hands
CustomTkinter its font manager with `load_font` answering from the file in place. This must
run before CustomTkinter is first imported; `gui/__init__.py` calls it.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import logging
import os
import sys
from html import escape
from pathlib import Path
from types import ModuleType

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


def _without_copies(manager: type) -> None:
    """`load_font` answers that the font is available (fontconfig reads it in place)."""
    manager.init_font_manager = classmethod(lambda cls: True)
    manager.load_font = classmethod(lambda cls, font_path: os.path.isfile(font_path))


class _PatchingLoader(importlib.abc.Loader):
    """The font manager's own loader, then `_without_copies` before CustomTkinter uses it."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self.loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        _without_copies(module.FontManager)


class _FontManagerFinder(importlib.abc.MetaPathFinder):
    """Finds the font manager when CustomTkinter first imports it (source or frozen), and
    hands it over with the patching loader; nothing of CustomTkinter loads any sooner."""

    def find_spec(self, name: str, path: object = None, target: object = None
                  ) -> importlib.machinery.ModuleSpec | None:
        if name != FONT_MANAGER:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _PatchingLoader(spec.loader)
        return spec


def keep_fonts_in_app_folder() -> None:
    """On Linux, before CustomTkinter loads: fontconfig reads its fonts where they are."""
    if not sys.platform.startswith("linux") or "customtkinter" in sys.modules:
        return
    package = importlib.util.find_spec("customtkinter")
    if package is None or package.origin is None:
        return
    fonts = Path(package.origin).parent / "assets" / "fonts"
    if not fonts.is_dir():
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
    sys.meta_path.insert(0, _FontManagerFinder())
