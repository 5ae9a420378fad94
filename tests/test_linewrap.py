"""Hard-wrapped (PDF) paragraphs are joined; natural lines, lists and headings are not."""

from __future__ import annotations

from pipeline.stages.clean.linewrap import unwrap_lines
from pipeline.text.aligned import AlignedText
from pipeline.text.width import display_width

PARAGRAPH = ("全县有普通高中6所,当年招生3 215人,在校学生9 604人,毕业生3 002人。中等职业学校4所,招生1 876人,"
             "在校学生5 143人,毕业生1 590人。全县有初级中学38所,招生7 914人,在校学生23 480人。小学129所,"
             "招生8 322人,在校学生49 017人。")


def wrap(text: str, width: int) -> str:
    """Cut text at a display width, as a PDF layout does (inside words and numbers)."""
    out, line = [], ""
    for ch in text:
        if display_width(line + ch) > width:
            out.append(line)
            line = ""
        line += ch
    return "\n".join(out + [line])


# A bulletin paragraph copied out of a PDF, between two headings.
WRAPPED = "二、各级各类教育\n" + wrap(PARAGRAPH, 72) + "\n三、教师队伍\n"


def test_a_wrapped_paragraph_is_joined_and_keeps_its_raw_offsets() -> None:
    at = unwrap_lines(AlignedText.from_raw(WRAPPED))
    lines = at.text.rstrip("\n").split("\n")
    assert lines[0] == "二、各级各类教育" and lines[-1] == "三、教师队伍"
    assert WRAPPED.count("\n") >= 5 and lines[1] == PARAGRAPH
    assert all(WRAPPED[int(at.raw[k])] == ch for k, ch in enumerate(at.text))  # offsets map to the raw page


def test_natural_lines_lists_and_titles_stay() -> None:
    text = ("关于某县2023年预算执行情况和2024年预算草案的报告\n"
            "——2024年1月10日在某县第十八届人民代表大会第四次会议上\n"
            "全县一般公共预算支出完成41.27亿元,为调整预算的97.6%,增长5.3%。主要支出项目如下:\n"
            "1.教育支出8.64亿元,增长7.2%,占一般公共预算支出的20.9%,其中学前教育支出6842万元\n"
            "2.社会保障和就业支出6.12亿元,增长4.8%,主要用于机关事业单位基本养老保险缴费等支出\n"
            "3.卫生健康支出3.85亿元,增长2.1%,城乡居民基本医疗保险财政补助标准提高到每人640元\n"
            "· 关于公布2023年度123所市级文明校园名单的通知及有关事项的说明\n"
            "· 市卫健委:全市适龄儿童免疫规划疫苗接种率保持在95%以上的通报\n"
            "· 某市第十二届中小学生运动会闭幕 3600余名运动员参加了比赛\n")
    assert unwrap_lines(AlignedText.from_raw(text)).text == text


def test_a_paragraph_of_two_lines_in_a_page_wrapped_at_one_width() -> None:
    # two runs give the page's wrap width; a two-line paragraph of that width is joined too
    short = "学前三年毛入园率96.2%,比上年提高0.7个百分点;普惠性幼儿园覆盖率94.5%。幼儿园专任教师5806人。"
    page = WRAPPED + wrap(PARAGRAPH, 72) + "\n四、学前教育\n" + wrap(short, 72) + "\n五、特殊教育\n"
    lines = unwrap_lines(AlignedText.from_raw(page)).text.rstrip("\n").split("\n")
    assert short in lines and lines[-1] == "五、特殊教育"
    # without the runs that show the width, two lines stay as they are
    alone = "四、学前教育\n" + wrap(short, 72) + "\n"
    assert unwrap_lines(AlignedText.from_raw(alone)).text == alone
