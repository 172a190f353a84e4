"""Errors of the machine (a full disk, a folder without write permission), named for the user in Chinese.

They are the user's to fix, not defects of dangjian: a message says what happened and where,
and never asks for a bug report. Errors not listed here may be bugs and are reported as such.
"""

from __future__ import annotations

import errno

# errno → what happened; `{where}` is the file or folder concerned.
_MESSAGES: dict[int, str] = {
    errno.ENOSPC: "磁盘空间不足：{where}（请腾出空间后重试）",
    errno.EDQUOT: "磁盘配额已用完：{where}（请腾出空间或申请更多配额后重试）",
    errno.EROFS: "文件系统是只读的，不能写入：{where}",
    errno.EBUSY: "{where} 正被占用（可能是挂载点），不能替换",
    errno.EXDEV: "{where} 在另一个文件系统上（可能是挂载点），不能替换：请把输出放到挂载点里面的一个文件夹",
    errno.EMFILE: "同时打开的文件太多（{where}）：请调高可打开文件数（ulimit -n）后重试",
    errno.ENFILE: "系统打开的文件太多（{where}）：请稍后重试",
    errno.ENAMETOOLONG: "路径太长：{where}",
    errno.EIO: "磁盘读写出错：{where}（请检查磁盘）",
    errno.ENOMEM: "内存不足（{where}）：请关闭其他程序后重试",
    errno.EFBIG: "文件超过了文件系统允许的大小：{where}",
    errno.ENOTDIR: "路径中有一段是文件而不是文件夹：{where}",
    errno.EISDIR: "这里应该是文件，却是一个文件夹：{where}",
    errno.ELOOP: "路径中的符号链接太多或形成了循环：{where}",
}
_PERMISSION = (errno.EACCES, errno.EPERM)


def describe(err: BaseException, writing: bool = False) -> str | None:
    """A Chinese sentence for an operating-system error the user can fix, or None (then it may be a bug)."""
    if not isinstance(err, OSError) or err.errno is None:
        return None
    where = "、".join(str(name) for name in (err.filename, err.filename2) if name) or "（未知位置）"
    if err.errno in _PERMISSION:
        return f"没有写入权限：{where}" if writing else f"没有访问权限：{where}（请检查文件和文件夹的权限）"
    template = _MESSAGES.get(err.errno)
    return template.format(where=where) if template else None
