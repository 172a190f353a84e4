"""Gather a new record's essentials: from flags, from defaults, or by asking in Chinese at a terminal.

Rules: a value given by flag is checked and used. When every essential (a required
value with no default) is given by flags, nothing is asked. Otherwise, at a terminal,
every value not given is asked (with `--yes`, only those without a default); when
stdin is not a terminal, the command stops (exit 2) naming the missing flags.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable

import click

from ..model import Registry
from ..personal import redact
from .pending import Refusal

Answers = dict[str, Any]


class AnswerError(ValueError):
    """An answer that cannot be used; the message (Chinese) says why."""


class MissingAnswers(Exception):
    """Essentials neither given by flag nor askable (stdin is not a terminal)."""

    def __init__(self, questions: list[Question]) -> None:
        super().__init__(", ".join(q.flag for q in questions))
        self.questions = questions


@dataclass(frozen=True)
class Question:
    """One value of a new record: its flag, its prompt, how to check it, and its default."""

    name: str
    prompt: str
    check: Callable[[str, Answers, Registry], Any]
    default: Callable[[Answers, Registry], str | None] | None = None
    required: bool | Callable[[Answers], bool] = True
    help: str = ""

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def is_required(self, answers: Answers) -> bool:
        """Whether a value is needed, given the answers so far (入党日期 only for 预备党员 and 正式党员)."""
        return self.required(answers) if callable(self.required) else self.required

    def default_for(self, answers: Answers, reg: Registry) -> str | None:
        """The default given the answers so far, as text; None when there is none."""
        return self.default(answers, reg) if self.default else None


def stdin_is_terminal() -> bool:
    """True when a person can answer prompts (tests replace this)."""
    return sys.stdin.isatty()


def gather(
    questions: list[Question], given: Mapping[str, str | None], reg: Registry, yes: bool
) -> tuple[Answers, bool]:
    """The answers, and whether any were asked; raises Refusal for a bad flag, MissingAnswers when stuck."""
    interactive = stdin_is_terminal()
    essentials_given = all(given.get(q.name) is not None for q in questions if q.required is True and q.default is None)
    prompting = interactive and not essentials_given
    answers: Answers = {}
    missing: list[Question] = []
    for q in questions:
        raw = given.get(q.name)
        if raw is not None:
            answers[q.name] = _checked(q, raw, answers, reg)
            continue
        default = q.default_for(answers, reg)
        required = q.is_required(answers)
        if prompting and not (yes and (default is not None or not required)):
            _store(answers, q.name, ask(q, default, required, answers, reg))
        elif default is not None:
            answers[q.name] = _checked(q, default, answers, reg)
        elif required and interactive:
            answers[q.name] = ask(q, None, True, answers, reg)
        elif required and (q.default is None or not missing):
            missing.append(q)
    if missing:
        raise MissingAnswers(missing)
    return answers, prompting


def _store(answers: Answers, name: str, value: Any) -> None:
    if value is not None:
        answers[name] = value


def _checked(q: Question, raw: str, answers: Answers, reg: Registry) -> Any:
    """A flag's (or default's) value, checked; a bad one is a refusal naming the flag."""
    try:
        return q.check(raw.strip(), answers, reg)
    except AnswerError as err:
        raise Refusal(f"{q.flag} {raw}：{err}") from None


def ask(q: Question, default: str | None, required: bool, answers: Answers, reg: Registry) -> Any:
    """Ask until the answer passes its check; an empty answer skips an optional value (None)."""
    label = q.prompt if required or default else f"{q.prompt}（可不填，直接回车跳过）"
    while True:
        raw = click.prompt(
            label,
            default=default if default is not None else ("" if not required else None),
            show_default=default is not None,
            err=True,
        )
        if not raw.strip() and not required:
            return None
        try:
            return q.check(raw.strip(), answers, reg)
        except AnswerError as err:
            click.echo(f"✗ {redact(str(err))}", err=True)
