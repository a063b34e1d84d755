"""导入公文: 联系人 blocks in the formats notices use — labelled lines under a department, several labels on a
line, names with their numbers, departments glued to names, letter-spaced names, wrapped addresses, tables."""

import pytest

from services.notices.intake.contacts import find_contacts, phones_in
from services.notices.intake.textview import Lines

pytestmark = pytest.mark.unit


def blocks(text: str):
    return find_contacts(Lines(text).nonempty)


def people(block) -> list[tuple]:
    return [(p.name, p.office_phone, p.mobile) for p in block.people]


def test_department_line_then_labels_two_people_paired_with_two_phones():
    [b] = blocks(
        "省科协组织联络部\n联系人：雷晶、周长江\n联系电话：020-83551764、83270571\n电子邮箱：gdsxzz11b@126.com\n"
    )
    assert b.department == "省科协组织联络部"
    assert people(b) == [("雷晶", "020-83551764", None), ("周长江", "83270571", None)]
    assert b.emails == ["gdsxzz11b@126.com"] and b.confidence >= 0.9


def test_two_blocks_under_two_departments():
    bs = blocks(
        "中国科协组织人事部\n联系人：马文斌 宋维嘉\n联系电话：（010）68578091（兼传真）\n"
        "科技部引进国外智力管理司\n联系人：杨启明\n联系电话：（010）58884209\n传 真：（010）58884208\n"
        "电子邮箱: yangqm@most.cn\n邮寄地址: 北京市海淀区复兴路乙15号(100862)\n"
    )
    assert [b.department for b in bs] == ["中国科协组织人事部", "科技部引进国外智力管理司"]
    assert people(bs[0]) == [("马文斌", "(010)68578091", None), ("宋维嘉", "(010)68578091", None)]
    assert bs[0].fax == "(010)68578091"
    assert bs[1].fax == "(010)58884208" and bs[1].address == "北京市海淀区复兴路乙15号(100862)"


def test_name_with_office_phone_and_mobile_on_one_line():
    [b] = blocks(
        "省科协联系方式：\n地 址：海湖新区文景街 32 号国投广场 7 楼 757 室\n联系人：李想 6335628 15897098299\n"
        "传 真：6302839\n"
    )
    assert b.department == "省科协"
    assert people(b) == [("李想", "6335628", "15897098299")]
    assert b.address == "海湖新区文景街32号国投广场7楼757室" and b.fax == "6302839"


def test_several_labels_on_one_line_in_a_sentence():
    [b] = blocks("联系人：周敏，电话：0571-85171234，邮箱：kpb@zast.org.cn。")
    assert people(b) == [("周敏", "0571-85171234", None)] and b.emails == ["kpb@zast.org.cn"]
    [b] = blocks("（联系人：王芳，联系电话：13912345678）")
    assert people(b) == [("王芳", None, "13912345678")]


def test_department_glued_to_the_name_or_in_brackets():
    [b] = blocks("联系人：渭南市科协学会部白茹\n联系电话：0913-2126498")
    assert b.department == "渭南市科协学会部" and people(b) == [("白茹", "0913-2126498", None)]
    [b] = blocks("联系人：赵琳（校科协办公室），电话：028-85401234")
    assert b.department == "校科协办公室" and people(b) == [("赵琳", "028-85401234", None)]


def test_letter_spaced_names_and_labels():
    [b] = blocks("“全国科技工作者日”活动办公室\n联 系 人：郑叶霞  张  月\n联系电话:（010）62168293\n")
    assert b.department == "“全国科技工作者日”活动办公室"
    assert [p.name for p in b.people] == ["郑叶霞", "张月"]
    [b] = blocks("联系人：田 鹏 郑叶霞\n联系电话：（010）68586651")
    assert [p.name for p in b.people] == ["田鹏", "郑叶霞"]


def test_names_each_with_their_own_numbers():
    [b] = blocks("联系人及电话：孙磊 010-59960001，刘洋 13800001111\n电子邮箱：kx@sinopec.com")
    assert people(b) == [("孙磊", "010-59960001", None), ("刘洋", None, "13800001111")]


def test_address_wrapped_over_lines():
    [b] = blocks(
        "联系人：郑叶霞\n电子邮箱：rczx@cast.org.cn\n通信地址：北京市海淀区学院南路86号中国科协综合业务\n楼\n西楼609室\n"
        "中国科协办公厅\n2020年4月9日"
    )
    assert b.address == "北京市海淀区学院南路86号中国科协综合业务楼西楼609室"


def test_contact_table_rows_become_blocks():
    bs = blocks(
        "联系人\t部门\t电话\t邮箱\n张华\t组织部\t025-83201234\tzzb@jskx.org.cn\n"
        "李明\t学会部\t025-83205678\txhb@jskx.org.cn\n"
    )
    assert [(b.department, people(b), b.emails) for b in bs] == [
        ("组织部", [("张华", "025-83201234", None)], ["zzb@jskx.org.cn"]),
        ("学会部", [("李明", "025-83205678", None)], ["xhb@jskx.org.cn"]),
    ]


def test_two_column_table_reads_like_labels():
    [b] = blocks("联系人\t陈静\n联系电话\t010-12345678\n电子邮箱\tcj@example.cn")
    assert people(b) == [("陈静", "010-12345678", None)] and b.emails == ["cj@example.cn"]


def test_an_empty_form_is_not_a_contact():
    assert blocks("姓名\t工作单位及职务\t联系电话\n\n主办单位 联系人\t姓 名\t\t办公电话\t\n电子邮箱  \n") == []
    assert blocks("联系人：\n联系电话：\n") == []


def test_a_repeated_block_is_kept_once():
    text = "联系人：李想 6335628 15897098299\n电子邮箱：qhskxbgs@163.com\n"
    assert len(blocks(text + "附件2\n回执表\n" + text)) == 1


def test_spans_point_at_the_names():
    text = "省科协组织联络部\n联系人：雷晶、周长江\n联系电话：020-83551764"
    [b] = blocks(text)
    assert [text[p.span[0] : p.span[1]] for p in b.people] == ["雷晶", "周长江"]
    assert text[b.span[0] : b.span[1]].startswith("省科协组织联络部")


@pytest.mark.parametrize(
    "text,office,mobile",
    [
        ("020-83551764、83270571", ["020-83551764", "83270571"], []),
        ("（010）68578091（兼传真）", ["(010)68578091"], []),
        ("0913－2126498", ["0913-2126498"], []),
        ("138 0013 8000", [], ["13800138000"]),
        ("010-68595321 转 8012", ["010-68595321转8012"], []),
        ("邮编100863", [], []),
        ("2021年5月10日", [], []),
    ],
)
def test_phone_numbers(text, office, mobile):
    assert phones_in(text) == (office, mobile)


def test_lianxi_fangshi_as_a_label_or_a_header():
    [b] = blocks("联系方式：张三 13800000000")
    assert people(b) == [("张三", None, "13800000000")]
    [b] = blocks("联系方式：010-68595321")
    assert b.people == [] and b.office_phones == ["010-68595321"]
    [b] = blocks("省科协联系方式：\n联系人：李想 6335628")
    assert b.department == "省科协" and people(b) == [("李想", "6335628", None)]
