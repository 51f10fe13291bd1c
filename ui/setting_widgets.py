"""One Streamlit widget per setting, drawn from its row of the settings table.

The widget's label, help (with the allowed range), step and options all come from the
row (:class:`experiments.settings.Setting`), so the form and the spec cannot disagree.
Number widgets take any number; the spec's bounds (the row's) decide, and the page says
what is wrong and disables Train, so a run never trains on a value other than the one
shown.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from experiments.settings import Setting
from ui import state


def _help(row: Setting) -> str:
    unit = f" Unit: {row.unit}." if row.unit else ""
    return f"{row.help}{unit} Allowed: {row.describe()}. (`{row.key}`)"


def number(row: Setting, value: Any, *, key: str | None = None, label: str | None = None,
           where: Any = st, disabled: bool = False,
           label_visibility: str = "visible") -> Any:
    """A number input for an int or float row (or one item of an ``ints`` row).

    It has no min/max: a browser refuses a typed value outside them but keeps showing
    it (red) while the widget keeps its old value, so a run could train on a number
    the user does not see. The spec checks the row's bounds instead (they are in the
    help), and the page shows its message and disables Train.
    """
    if row.kind in ("int", "ints"):
        return where.number_input(label or row.label,
                                  step=int(row.step or 1), value=int(value),
                                  key=key or row.key, help=_help(row), disabled=disabled,
                                  label_visibility=label_visibility)
    return where.number_input(label or row.label,
                              step=float(row.step or 0.01), format="%g", value=float(value),
                              key=key or row.key, help=_help(row), disabled=disabled,
                              label_visibility=label_visibility)


def choice(row: Setting, value: Any, *, where: Any = st, label: str | None = None,
           options: list[Any] | None = None, resolved: str | None = None,
           key: str | None = None) -> Any:
    """A selectbox over the row's choices, the row's word first for optional rows
    (``auto``). Labels never depend on other widgets: what ``auto`` resolves to is said
    in the help (``resolved``), so a choice keeps its value when the data changes."""
    opts = options if options is not None else [
        *([row.none_word] if row.none_word else []), *(row.allowed or ())]
    value = row.none_word if value is None else value
    help_text = _help(row) + (f" Now {row.none_word} means {resolved}." if resolved else "")
    return where.selectbox(label or row.label, opts,
                           index=opts.index(value) if value in opts else 0,
                           key=key or row.key, help=help_text)


def widget(row: Setting, form: dict[str, Any], *, where: Any = st, key: str | None = None,
           prefix: str = "") -> Any:
    """The widget of any row, starting from the saved ``form`` value; returns its value.

    Optional numbers are a switch ("full", "off") plus a number input. ``key`` is the
    widget key when it is not the row's own (a dataset's parameters). ``prefix`` goes
    before every key the widget uses (its switch's too), so another page can show the
    same row beside the Train page's without sharing its state (the Sweep page: ``sw:``).
    """
    own = prefix + row.key
    key = key or own
    value = form.get(key, row.default)
    if row.kind == "bool":
        return where.checkbox(row.label, value=bool(value), key=key, help=_help(row))
    if row.kind == "choice":
        return choice(row, value, where=where, key=key)
    if key != own:
        return number(row, value, where=where, key=key)
    if row.kind in ("int", "float"):
        if state.is_optional_number(row):
            switch = prefix + state.switch_key(row)
            where.checkbox(f"{row.label}: {row.none_word}", value=bool(form.get(switch)),
                           key=switch, help=f"Unset: {row.label.lower()} is {row.none_word}.")
            return number(row, state.shown_number(row, value), where=where, key=key,
                          disabled=bool(st.session_state.get(switch)))
        return number(row, value, where=where, key=key)
    return where.text_input(row.label, value=str(value or ""), key=key, help=_help(row))
