"""Bad cases of the cms area: site.yaml's `cms:` settings reach the public admin page's config, so each
value is held to its pattern (no path out of the repository, no script, no unknown forge)."""

from __future__ import annotations

CASES: dict[str, list[tuple[str, int, int, str]]] = {
    "cms-settings-hostile": [
        ("registry/site.yaml", 4, 12, "`svn` 不是可用的值"),
        (
            "registry/site.yaml",
            5,
            9,
            "`../../etc` 不符合格式：所有者/仓库名，例如 xianwei/dangjian（GitLab 可写子群组）",
        ),
        ("registry/site.yaml", 6, 11, "`main..evil` 不符合格式：git 分支名，例如 main"),
        (
            "registry/site.yaml",
            7,
            14,
            "`javascript:alert(1)//` 不符合格式："
            "以 http:// 或 https:// 开头、以 / 结尾的网址（不含空格、引号和尖括号）",
        ),
        ("registry/site.yaml", 8, 11, '`x"><script>` 不符合格式：字母、数字、`.`、`_` 和 `-`'),
        ("registry/site.yaml", 9, 10, "这里应是 `true` 或 `false`，而不是`maybe`"),
    ],
}
