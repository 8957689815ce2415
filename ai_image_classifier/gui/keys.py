"""The keyboard: one shortcut for every action, listed in the Keyboard help (F1), and every
control reachable with Tab, showing where the focus is and answering Return and Space.

CustomTkinter draws its controls on canvases that Tk's Tab order skips and that draw no focus
ring; `reach_by_keyboard` makes each one take the focus, outlines it while it has it, and
gives it the keys its kind needs (buttons: Return, Space; menus: Return, Space opens it,
Up and Down choose; sliders: Left and Right)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import customtkinter as ctk

FOCUS_COLOUR = ("#c2410c", "#fbbf24")  # amber: apart from every fill the window uses
FOCUS_WIDTH = 2


class Shortcut(NamedTuple):
    sequences: tuple[str, ...]  # Tk event patterns (Control also binds Command on macOS)
    keys: str  # as the help says it
    does: str
    action: str  # the name in the actions the window gives
    argument: str = ""


VIEW_KEYS = tuple(Shortcut((f"<Control-Key-{n}>",), f"Ctrl+{n}", f"{view} view", "view", view)
                  for n, view in enumerate(("Original", "Enhanced", "Compare", "Heatmap",
                                            "ELA"), start=1))
TAB_KEYS = tuple(Shortcut((f"<Alt-Key-{n}>",), f"Alt+{n}", f"{tab} tab", "tab", tab)
                 for n, tab in enumerate(("Verdict", "Enhance", "Metadata"), start=1))
SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut(("<Control-o>", "<Control-O>"), "Ctrl+O", "Open image…", "open"),
    Shortcut(("<Control-s>", "<Control-S>"), "Ctrl+S", "Save the enhanced picture…", "save"),
    Shortcut(("<Control-e>", "<Control-E>"), "Ctrl+E", "Enhance", "enhance"),
    Shortcut(("<Escape>",), "Esc", "Cancel the enhancement or the heat map", "cancel"),
    Shortcut(("<Control-d>", "<Control-D>"), "Ctrl+D", "Scan folder…", "scan"),
    *VIEW_KEYS,
    Shortcut(("<Control-Key-0>",), "Ctrl+0", "Fit ↔ 100 %", "zoom"),
    *TAB_KEYS,
    Shortcut(("<Control-t>", "<Control-T>"), "Ctrl+T", "Next theme (Light, Dark, System)",
             "next_theme"),
    Shortcut(("<Control-m>", "<Control-M>"), "Ctrl+M", "Model…", "model"),
    Shortcut(("<Control-i>", "<Control-I>"), "Ctrl+I", "About…", "about"),
    Shortcut(("<F1>",), "F1", "This keyboard help", "help"),
)
MOVING = (("Tab / Shift+Tab", "Next / previous control (outlined in amber)"),
          ("Return or Space", "Press the outlined button, open the outlined menu"),
          ("Up / Down", "Choose in the outlined menu"),
          ("Left / Right", "Move the outlined slider"),
          ("Arrows (picture)", "Pan at 100 %; move the compare slider"),
          ("Up / Down, Page Up / Down", "Scroll the outlined Verdict or Enhance tab"),
          ("Return (scan table)", "Open the selected row's picture"))


def help_lines() -> list[tuple[str, str]]:
    """(keys, what they do) for every shortcut, then the keys that move around."""
    return [(shortcut.keys, shortcut.does) for shortcut in SHORTCUTS] + list(MOVING)


def bind_shortcuts(root: Any, actions: dict[str, Callable[..., Any]]) -> None:
    """Bind every shortcut of the main window to `actions[name](argument)`."""
    aqua = root.tk.call("tk", "windowingsystem") == "aqua"
    for shortcut in SHORTCUTS:
        action = actions[shortcut.action]

        def run(event: Any, action: Callable[..., Any] = action,
                argument: str = shortcut.argument) -> str | None:
            if not _in_main_window(event.widget):
                return None  # the scan or Model window, Tk's own file dialog or message box
            action(argument) if argument else action()
            return "break"

        for sequence in shortcut.sequences:
            root.bind_all(sequence, run)
            if aqua and "Control" in sequence:
                root.bind_all(sequence.replace("Control", "Command"), run)


def _in_main_window(widget: Any) -> bool:
    """Whether a key went to the main window, whose actions the shortcuts are: Esc in the
    scan window must not cancel the main window's enhancement, nor Ctrl+S there open its
    save. Tk's dialogs are made in Tcl, so their widgets reach Python as bare names."""
    return not isinstance(widget, str) and isinstance(widget.winfo_toplevel(), ctk.CTk)


def reach_by_keyboard(root: Any) -> None:
    """Make every CustomTkinter control under `root` take the focus (once each)."""
    for widget in _descendants(root):
        if getattr(widget, "_keyboard_ready", False):
            continue
        if isinstance(widget, ctk.CTkButton):
            _ready(widget, _button_keys(widget))
        elif isinstance(widget, ctk.CTkOptionMenu):
            _ready(widget, _menu_keys(widget))
        elif isinstance(widget, ctk.CTkSlider):
            _ready(widget, _slider_keys(widget))


def _descendants(widget: Any) -> list[Any]:
    """Every widget under `widget`, from Tk's own list: CustomTkinter's `winfo_children`
    leaves out parts such as a tab view's switch."""
    found = []
    for child in widget.children.values():
        found += [child, *_descendants(child)]
    return found


def _ready(widget: Any, keys: dict[str, Callable[[], None]]) -> None:
    """Focus on the widget's canvas, an outline while focused, and `keys` on it."""
    canvas = widget._canvas  # noqa: SLF001 - CustomTkinter draws every control on it
    canvas.configure(takefocus=lambda _path: int(_enabled(widget)))
    for sequence, handler in keys.items():
        canvas.bind(sequence, lambda _e, handler=handler: (handler(), "break")[1])
    canvas.bind("<FocusIn>", lambda _e: _outline(widget, True), add="+")
    canvas.bind("<FocusOut>", lambda _e: _outline(widget, False), add="+")
    widget._keyboard_ready = True  # a click does not take the focus: no outline for mice


def _enabled(widget: Any) -> bool:
    """Tab passes over disabled and hidden controls."""
    return widget.cget("state") != "disabled" and bool(widget.winfo_viewable())


def _outline(widget: Any, focused: bool) -> None:
    if not widget.winfo_exists():
        return
    if isinstance(widget, ctk.CTkButton):
        if not hasattr(widget, "_unfocused_border"):
            widget._unfocused_border = (widget.cget("border_width"), widget.cget("border_color"))
        width, colour = widget._unfocused_border
        widget.configure(border_width=max(width, FOCUS_WIDTH) if focused else width,
                         border_color=FOCUS_COLOUR if focused else colour)
    else:  # menus and sliders have no border: their button part turns amber
        if not hasattr(widget, "_unfocused_button"):
            widget._unfocused_button = widget.cget("button_color")
        widget.configure(button_color=FOCUS_COLOUR if focused else widget._unfocused_button)


def _button_keys(button: ctk.CTkButton) -> dict[str, Callable[[], None]]:
    return dict.fromkeys(("<Return>", "<KP_Enter>", "<space>"), button.invoke)


def _menu_keys(menu: ctk.CTkOptionMenu) -> dict[str, Callable[[], None]]:
    def step(by: int) -> None:
        values = list(menu.cget("values"))
        if menu.cget("state") == "disabled" or not values:
            return
        index = values.index(menu.get()) + by if menu.get() in values else 0
        chosen = values[min(len(values) - 1, max(0, index))]
        menu.set(chosen)
        command = menu.cget("command")
        if command is not None:
            command(chosen)

    opener = menu._open_dropdown_menu  # noqa: SLF001 - the only way to open it
    return {"<Return>": opener, "<KP_Enter>": opener, "<space>": opener,
            "<Up>": lambda: step(-1), "<Down>": lambda: step(1)}


def _slider_keys(slider: ctk.CTkSlider) -> dict[str, Callable[[], None]]:
    def step(by: int) -> None:
        low, high = slider.cget("from_"), slider.cget("to")
        steps = slider.cget("number_of_steps") or 100
        value = min(max(low, high), max(min(low, high), slider.get() + by * (high - low)
                                        / steps))
        slider.set(value)
        command = slider.cget("command")
        if command is not None:
            command(slider.get())

    return {"<Left>": lambda: step(-1), "<Right>": lambda: step(1),
            "<Down>": lambda: step(-1), "<Up>": lambda: step(1)}


def scroll_by_keyboard(scrollable: ctk.CTkScrollableFrame) -> None:
    """Let Tab reach a scrolling area, show that it has the focus (its scroll bar's handle
    turns amber), and scroll it with Up, Down, Page Up, Page Down, Home and End."""
    canvas = scrollable._parent_canvas  # noqa: SLF001 - the canvas that scrolls
    scrollbar = scrollable._scrollbar  # noqa: SLF001 - its scroll bar
    unfocused = scrollbar.cget("button_color")
    canvas.configure(takefocus=1)
    canvas.bind("<FocusIn>", lambda _e: scrollbar.configure(button_color=FOCUS_COLOUR),
                add="+")
    canvas.bind("<FocusOut>", lambda _e: scrollbar.configure(button_color=unfocused),
                add="+")
    moves = {"<Up>": (-1, "units"), "<Down>": (1, "units"), "<Prior>": (-1, "pages"),
             "<Next>": (1, "pages")}
    for sequence, (count, what) in moves.items():
        canvas.bind(sequence, lambda _e, c=count, w=what: (canvas.yview_scroll(c, w),
                                                           "break")[1])
    canvas.bind("<Home>", lambda _e: canvas.yview_moveto(0))
    canvas.bind("<End>", lambda _e: canvas.yview_moveto(1))


def show_help(parent: Any) -> ctk.CTkToplevel:
    """The Keyboard help window: every shortcut, from the same table the keys are bound from."""
    from .widgets import place_over

    window = ctk.CTkToplevel(parent)
    window.title("Keyboard")
    place_over(window, parent, 560, min(720, window.winfo_screenheight() - 80))
    frame = ctk.CTkScrollableFrame(window, fg_color="transparent")
    frame.pack(fill="both", expand=True, padx=10, pady=10)
    scroll_by_keyboard(frame)
    bold = ctk.CTkFont(weight="bold")
    for row, (keys, does) in enumerate(help_lines()):
        ctk.CTkLabel(frame, text=keys, font=bold, anchor="w").grid(row=row, column=0,
                                                                   sticky="w", padx=(4, 16))
        ctk.CTkLabel(frame, text=does, anchor="w").grid(row=row, column=1, sticky="w")
    close = ctk.CTkButton(window, text="Close", width=90, command=window.destroy)
    close.pack(pady=(0, 10))
    window.bind("<Escape>", lambda _: (window.destroy(), "break")[1])
    reach_by_keyboard(window)
    window.after(50, window.lift)
    window.after(60, close._canvas.focus_set)  # noqa: SLF001 - see _ready
    return window
