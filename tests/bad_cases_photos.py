"""Bad cases of photos and video (`images:` and `video:` of stories, activities and projects; merged into
tests/test_bad_cases.py).

A gallery takes photos only (PNG, JPEG, WebP: the build resizes them); an SVG is refused at the record's line,
whatever it holds. Alt text is required and Chinese; a video is an http(s) address, never `javascript:`.
Hostile files (a decoding bomb, an HTML page with a PNG after it) are refused by the asset checks.
"""

from __future__ import annotations

STORY = "content/stories/east-road.md"
NOT_A_PHOTO = "图片 `brands/red.svg` 不是照片：相册和视频封面只能用 PNG、JPEG 或 WebP 图片"

CASES: dict[str, list[tuple[str, int, int, str]]] = {
    "photos-not-a-photo": [
        (STORY, 6, 11, NOT_A_PHOTO),
        (STORY, 8, 11, "找不到图片 content/assets/gallery/none.jpg"),
    ],
    "photos-alt": [
        (STORY, 6, 5, "缺少必填的键 `alt`（替代文字：用中文说明照片里是什么，读屏软件会读给看不见的读者）"),
        (STORY, 6, 11, NOT_A_PHOTO),
        (STORY, 7, 11, NOT_A_PHOTO),
        (STORY, 8, 10, "`Street lights on the village road` 不符合格式：含有汉字的说明"),
        (STORY, 10, 5, "不认识的键 `credit`"),
    ],
    "photos-video-url": [
        (STORY, 6, 3, "缺少必填的键 `title`（视频标题）"),
        (STORY, 6, 8, "`javascript:alert(1)` 不符合格式：以 http:// 或 https:// 开头的网址"),
        (STORY, 7, 11, NOT_A_PHOTO),
    ],
    # 8000×7000 one-bit pixels: 7 KB on disk, 56 million pixels (over assets.MAX_PIXELS) once decoded.
    "photos-huge": [
        ("content/assets/gallery/huge.png", 1, 1, "图片尺寸过大（8000×7000 像素）"),
    ],
    # An HTML page with a script, then a PNG: what a browser sniffing it would run is refused by content.
    "photos-polyglot": [
        ("content/assets/gallery/polyglot.png", 1, 1, "这个文件不是图片（内容无法识别）"),
    ],
}
