"""What kind of report a document is (documents.report_type), read from its title and opening line.

A title names its genre last (霍邱县学前教育普及普惠督导评估创建规划 is a plan, not an
inspection): of the patterns of :data:`REPORT_TYPES` that the title matches, the one whose match
ends last decides, the earlier in the list on a tie (统计公告 is a bulletin before it is a 公告).
With no match in the title, the opening lines are read the same way; None when nothing matches.
"""

from __future__ import annotations

import regex

#: (report type, pattern), most specific first.
REPORT_TYPES: tuple[tuple[str, regex.Pattern], ...] = tuple((name, regex.compile(pattern)) for name, pattern in (
    ("政府工作报告", r"政府工作报告"),
    ("统计公报", r"统计(?:公报|公告|快报|简报|报告|基本情况|数据)|统计表|事业发展(?:统计|情况)|经费执行情况"),
    ("年鉴", r"年鉴|概况|大事记"),
    ("预算/决算", r"预算|决算"),
    ("规划", r"规划|行动计划|实施方案|三年行动"),
    ("自查报告", r"自查|自评|督导|督查|评估|检查"),
    ("述职报告", r"述职"),
    ("调研报告", r"调研|调查报告|视察"),
    ("讲话", r"讲话|致辞|发言|报告会上"),
    ("工作计划/要点", r"工作(?:计划|要点|思路|安排|打算)|计划|要点"),
    ("工作总结", r"总结|工作报告|情况报告|情况汇报|回头看|工作情况|成效|成绩"),
    ("公示/公告", r"公示|公告|通知|通报"),
    ("新闻", r"记者|讯|捷报|新闻|报道|喜报|人民网|新华社|日报|消息"),
))

OPENING_LINES = 2


def report_type(title: str, text: str) -> str | None:
    """The report type of a document (title first, then its first lines), or None."""
    opening = [line.strip() for line in text.splitlines() if line.strip()][:OPENING_LINES]
    for zone in (title, *opening):
        ends = [(max(m.end() for m in pattern.finditer(zone)), -rank, name)
                for rank, (name, pattern) in enumerate(REPORT_TYPES) if pattern.search(zone)]
        if ends:
            return max(ends)[2]
    return None
