"""The destination editor page: the form with one control per key (form.py), each with its
label, hint and the check's sentences about it (`aria-describedby`), and the destination
as YAML behind "advanced". No script: it is a plain form."""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.console.form import RECIPIENT_KEYS, ROLES, Options
from gateway.console.pages import View, e, layout, test_button


@dataclass
class EditorState:
    name: str | None
    text: str
    """The destination as YAML (the advanced view)."""
    version: str
    problems: list[str]
    """The sentences for the summary at the top."""
    conflict: str | None = None
    """What is saved now, when someone saved first."""
    notice: str = ""
    values: dict[str, str] = field(default_factory=dict)
    """The form's values."""
    beside: dict[str, list[str]] = field(default_factory=dict)
    """The check's sentences per control."""
    advanced: bool = False
    """The YAML was what was sent: show it open."""


class Controls:
    """Renders the controls of one form: values, sentences and whether they can be changed."""

    def __init__(self, view: View, state: EditorState, can_write: bool) -> None:
        self.t = view.text
        self.values = state.values
        self.beside = state.beside
        self.readonly = "" if can_write else " readonly"
        self.disabled = "" if can_write else " disabled"

    def _about(self, control: str, hint: bool) -> tuple[str, str]:
        """The hint and sentences shown before a control, and the attributes naming them."""
        shown, ids = "", []
        if hint:
            shown += f'<p class="hint" id="{control}-hint">{self.t[control + "_hint"]}</p>'
            ids.append(f"{control}-hint")
        if control in self.beside:
            items = "".join(f"<li>{e(p)}</li>" for p in self.beside[control])
            shown += f'<ul class="field-error" id="{control}-error">{items}</ul>'
            ids.append(f"{control}-error")
        attributes = f' aria-describedby="{" ".join(ids)}"' if ids else ""
        if control in self.beside:
            attributes += ' aria-invalid="true"'
        return shown, attributes

    def text(self, control: str, hint: bool = False, extra: str = "", fixed: bool = False) -> str:
        shown, attributes = self._about(control, hint)
        value = e(self.values.get(control, ""))
        readonly = " readonly" if fixed else self.readonly
        return (
            f'<label for="{control}">{self.t[control]}</label>{shown}'
            f'<input type="text" id="{control}" name="{control}" value="{value}"'
            f"{attributes}{extra}{readonly}>"
        )

    def area(self, control: str, rows: int = 4) -> str:
        shown, attributes = self._about(control, True)
        return (
            f'<label for="{control}">{self.t[control]}</label>{shown}'
            f'<textarea class="short" id="{control}" name="{control}" rows="{rows}" '
            f'spellcheck="false"{attributes}{self.readonly}>{e(self.values.get(control, ""))}'
            "</textarea>"
        )

    def select(self, control: str, choices: list[tuple[str, str]], hint: bool = False) -> str:
        shown, attributes = self._about(control, hint)
        chosen = self.values.get(control, "")
        options = "".join(
            f'<option value="{e(v)}"{" selected" if v == chosen else ""}>{e(text)}</option>'
            for v, text in choices
        )
        return (
            f'<label for="{control}">{self.t[control]}</label>{shown}'
            f'<select id="{control}" name="{control}"{attributes}{self.disabled}>{options}'
            "</select>"
        )

    def purposes(self, offered: list[str]) -> str:
        """The declared purposes, and any other the destination names (so it can be seen
        and unticked)."""
        shown, attributes = self._about("purposes", True)
        named = [k.removeprefix("purpose.") for k in self.values if k.startswith("purpose.")]
        choices = [*offered, *(p for p in named if p not in offered)]
        boxes = "".join(
            f'<label class="choice"><input type="checkbox" id="purpose-{e(p)}" '
            f'name="purpose.{e(p)}"{" checked" if self.values.get("purpose." + p) else ""}'
            f"{attributes}{self.disabled}> {e(p)}</label>"
            for p in choices
        )
        legend = f"<legend>{self.t['purposes']}</legend>"
        return f'<fieldset id="purposes">{legend}{shown}{boxes}</fieldset>'

    def enabled(self) -> str:
        checked = " checked" if self.values.get("enabled") else ""
        return (
            f'<p><label class="choice"><input type="checkbox" id="enabled" name="enabled"'
            f"{checked}{self.disabled}> {self.t['enabled']}</label></p>"
        )


def destination_form(
    view: View, state: EditorState, options: Options, target: str, can_write: bool
) -> str:
    t = view.text
    c = Controls(view, state, can_write)
    types = [(name, name) for name in options.types]
    roles = [("", t["role_unset"]), *((role, role) for role in ROLES)]
    # No rename: an existing destination's name is shown, not changed.
    name = c.text("name", extra=" required", fixed=state.name is not None)
    countries = "".join(f'<option value="{e(code)}">' for code in options.countries)
    paths = "".join(f'<option value="{e(p)}">' for p in options.paths)
    recipient = "".join(c.text(f"recipient_{key}") for key in RECIPIENT_KEYS)
    parts = [
        f'<form method="post" action="{e(view.url(target))}" id="destination-form">',
        view.csrf_field(),
        '<input type="hidden" name="mode" value="form">',
        f'<input type="hidden" name="version" value="{e(state.version)}">',
        name,
        c.select("type", types),
        c.text("url", hint=True),
        c.text("country", hint=True, extra=' list="countries" autocomplete="off"'),
        f'<datalist id="countries">{countries}</datalist>',
        c.purposes(options.purposes),
        f'<fieldset id="events"><legend>{t["events"]}</legend>',
        c.text("events_types", hint=True),
        c.area("events_names", 3),
        "</fieldset>",
        c.area("fields", 6),
        f'<label for="add_field">{t["add_field"]}</label>',
        f'<p class="hint" id="add-field-hint">{t["add_field_hint"]}</p>',
        '<input type="text" id="add_field" name="add_field" list="seen-paths" '
        f'autocomplete="off" aria-describedby="add-field-hint"{c.readonly}>',
        f'<datalist id="seen-paths">{paths}</datalist>',
        c.area("transforms", 3),
        c.select("role", roles, hint=True),
        c.text("responsible_party", hint=True),
        f'<fieldset id="recipient"><legend>{t["recipient"]}</legend>{recipient}</fieldset>',
        c.text("description", hint=True),
        c.enabled(),
        c.area("other", 4),
    ]
    if can_write:
        parts.append(f'<p><button type="submit" id="save">{t["save"]}</button></p>')
    parts.append("</form>")
    return "".join(parts)


def yaml_form(view: View, state: EditorState, target: str, can_write: bool) -> str:
    t = view.text
    readonly = "" if can_write else " readonly"
    save = (
        f'<p><button type="submit" id="save-yaml">{t["save_yaml"]}</button></p>'
        if can_write
        else ""
    )
    return (
        f'<details id="advanced"{" open" if state.advanced else ""}>'
        f"<summary>{t['advanced']}</summary>"
        f'<form method="post" action="{e(view.url(target))}">{view.csrf_field()}'
        '<input type="hidden" name="mode" value="yaml">'
        f'<input type="hidden" name="version" value="{e(state.version)}">'
        f'<label for="config">{t["config_label"]}</label>'
        f'<p class="hint" id="config-hint">{t["config_hint"]}</p>'
        f'<textarea id="config" name="config" spellcheck="false" '
        f'aria-describedby="config-hint"{readonly}>{e(state.text)}</textarea>{save}</form>'
        "</details>"
    )


def summary(view: View, state: EditorState) -> str:
    """The sentences no control owns, then links to the controls that have some."""
    t = view.text
    items = "".join(f"<li>{e(p)}</li>" for p in state.problems)
    links = "".join(
        f'<li><a href="#{control}">{t.get(control, control)}</a></li>' for control in state.beside
    )
    more = f"<p>{t['problems_beside']}</p><ul>{links}</ul>" if links else ""
    return (
        f'<div class="problems" role="alert" id="problems"><p>{t["problems"]}</p>'
        f"<ul>{items}</ul>{more}</div>"
    )


def editor(view: View, state: EditorState, options: Options, can_write: bool) -> str:
    t = view.text
    target = f"/console/destinations/{state.name}" if state.name else "/console/new"
    parts = []
    if state.notice:
        parts.append(f'<p class="ok" role="status">{e(state.notice)}</p>')
    if state.problems or state.beside:
        parts.append(summary(view, state))
    if state.conflict is not None:
        parts.append(
            f'<div class="problems" role="alert" id="conflict"><p>{t["conflict"]}</p></div>'
        )
    if not can_write:
        parts.append(f'<p role="note">{t["read_only"]}</p>')
    parts.append(destination_form(view, state, options, target, can_write))
    parts.append(yaml_form(view, state, target, can_write))
    if state.conflict is not None:
        parts.append(f'<h2>{t["current"]}</h2><pre id="current">{e(state.conflict)}</pre>')
    if can_write and state.name:
        delete = view.url(f"/console/destinations/{state.name}/delete")
        parts.append(
            f'<form method="post" action="{e(delete)}">{view.csrf_field()}'
            f'<input type="hidden" name="version" value="{e(state.version)}">'
            f'<button type="submit" class="danger">{t["delete"]}</button></form>'
            + test_button(view, state.name)
        )
    title = f"{t['editor']}: {state.name}" if state.name else t["add_destination"]
    return layout(view, title, "".join(parts))
