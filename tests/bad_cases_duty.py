"""Bad cases of the duty record (履责证): 履责手记 (registry/points/notes/) and their rules (rules/notes.py)."""

NOTES = "registry/points/notes/east.yaml"

CASES = {
    "duty-note-unscored": [
        (NOTES, 1, 11, "`m-east-b` 是入党积极分子，没有履责证，不能写履责手记"),
    ],
    "duty-note-before-joined": [
        (NOTES, 5, 9, "履责手记的日期 2025-05-31 早于 `m-east-a` 的入党日期 2025-06-01"),
    ],
    "duty-note-unknown-member": [
        (NOTES, 1, 11, "找不到党员 `m-east-nobody`"),
    ],
    "duty-note-missing-text": [
        (NOTES, 1, 3, "缺少必填的键 `text`（手记正文：做了什么、有什么体会）"),
    ],
}
