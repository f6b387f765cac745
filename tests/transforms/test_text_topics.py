"""Topic matching (METRICS.md section 13) on hand-made tokens and texts."""

from __future__ import annotations

import polars as pl

from transforms.text_topics import Topic, add_topics, topic_terms_ok

TOPICS = [
    Topic("waiting_time", "Waiting", ("排队", "等"), ("queue", "on time")),
    Topic("app_website", "App", ("闪退",), ("app",)),
    Topic("empty", "No terms", (), ()),  # matches nothing (the loader refuses it; the transform tolerates it)
]


def _topics(rows: list[tuple[str | None, list[str] | None]]) -> list[list[str] | None]:
    frame = pl.LazyFrame(
        {"text_norm": [r[0] for r in rows], "tokens": [r[1] for r in rows]},
        schema={"text_norm": pl.String, "tokens": pl.List(pl.String)},
    )
    return add_topics(frame, TOPICS).collect()["topics"].to_list()


def test_topic_matching_rules():
    rows = [
        ("排队很久", ["排队", "很", "久"]),  # 2-character term as a substring
        ("不用排队了", ["不用", "排", "队", "了"]),  # substring even when jieba splits it
        ("等等看", ["等等", "看"]),  # 1-character term only as a whole token: no
        ("等了很久", ["等", "了", "很", "久"]),  # whole token: yes
        ("the queues were long", ["the", "queu", "wer", "long"]),  # stems meet
        ("it arrived on time", ["it", "arriv", "on", "tim"]),  # two-word term in one clause
        ("on. time", ["on", "|", "tim"]),  # not across a clause boundary
        ("onto timing", ["onto", "tim"]),  # whole tokens only
        ("app闪退,queue", ["app", "闪退", "|", "queu"]),  # both languages in one text, dictionary order
        ("nothing here", ["noth", "her"]),
        (None, None),
    ]
    assert _topics(rows) == [
        ["waiting_time"],
        ["waiting_time"],
        [],
        ["waiting_time"],
        ["waiting_time"],
        ["waiting_time"],
        [],
        [],
        ["waiting_time", "app_website"],
        [],
        None,
    ]


def test_topic_terms_ok():
    assert topic_terms_ok(TOPICS[0]) is None
    assert topic_terms_ok(Topic("x", "x", (), ())) == "has no terms"
    assert topic_terms_ok(Topic("x", "x", ("app",), ())) == "zh term(s) without a Chinese character: ['app']"
    assert topic_terms_ok(Topic("x", "x", (), ("!!",))) == "en term(s) without a Latin word: ['!!']"
