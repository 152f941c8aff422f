"""Builders of good, bad and hostile input files for the tests: all written by the tests, none committed.

Test modules import it after putting this folder on ``sys.path`` (pytest runs with
``--import-mode=importlib``, which does not)::

    sys.path.insert(0, str(Path(__file__).parent))
    import badfiles
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import docx
import numpy as np

TEXT = "我们要坚持以人民为中心的发展思想，不断增强人民群众的获得感、幸福感、安全感。"


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------- docx


def make_docx_bytes(text: str = TEXT, *, title: str | None = None) -> bytes:
    """A real .docx (python-docx) with one paragraph per line of ``text``."""
    document = docx.Document()
    for line in text.split("\n"):
        document.add_paragraph(line)
    if title is not None:
        document.core_properties.title = title
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# A legacy Word .doc (an OLE container with a WordDocument stream) and a password-protected
# .docx (an OLE container with an EncryptionInfo stream), as far as the reader looks.
LEGACY_DOC = OLE_MAGIC + bytes(504) + "WordDocument".encode("utf-16-le") + bytes(1000)
ENCRYPTED_DOCX = OLE_MAGIC + bytes(504) + "EncryptionInfo".encode("utf-16-le") + bytes(1000)
# LibreOffice cannot open the fake .doc; without LibreOffice the reason is office.INSTALL
LEGACY_DOC_REASON = ("could not be opened by LibreOffice as a Word 97-2003 document (damaged, password-protected "
                     "or not what it seems); open it in Word/WPS and save as .docx")


def bomb(path: Path, size: int) -> Path:
    """A .docx whose document part is ``size`` zero bytes: tiny on disk, huge inflated."""
    template = zipfile.ZipFile(io.BytesIO(make_docx_bytes()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in template.infolist():
            if item.filename != "word/document.xml":
                archive.writestr(item, template.read(item))
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = bytes(8 * 2**20)
            for _ in range(size // len(chunk)):
                member.write(chunk)
            member.write(bytes(size % len(chunk)))
    return path


# ---------------------------------------------------------------------------- pdf

_TO_UNICODE = (
    b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap "
    b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def "
    b"/CMapName /Adobe-Identity-UCS def /CMapType 2 def "
    b"1 begincodespacerange <0000> <FFFF> endcodespacerange "
    b"4 beginbfchar <0001> <4E2D> <0002> <6587> <0003> <6D4B> <0004> <8BD5> endbfchar "
    b"endcmap CMapName currentdict /CMap defineresource pop end end"
)


def build_pdf(content: bytes, *, font: str = "helvetica", encrypt: bool = False) -> bytes:
    """A minimal one-page PDF, written by hand (no PDF writer is a dependency).

    font: "helvetica" (standard font), "cid" (glyph ids without a Unicode table) or
    "cid-unicode" (glyph ids with a ToUnicode map for 中文测试).
    """
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> >> >>"
        ),
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
    ]
    if font == "helvetica":
        objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    else:
        to_unicode = b" /ToUnicode 8 0 R" if font == "cid-unicode" else b""
        objects += [
            b"<< /Type /Font /Subtype /Type0 /BaseFont /Song /Encoding /Identity-H"
            b" /DescendantFonts [6 0 R]%s >>" % to_unicode,
            (
                b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Song /FontDescriptor 7 0 R"
                b" /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> >>"
            ),
            (
                b"<< /Type /FontDescriptor /FontName /Song /Flags 4 /FontBBox [0 0 1000 1000]"
                b" /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 700 /StemV 80 >>"
            ),
            b"<< /Length %d >>\nstream\n%s\nendstream" % (len(_TO_UNICODE), _TO_UNICODE),
        ]
    if encrypt:  # RC4 40-bit, with O and U entries no password produces
        objects.append(
            b"<< /Filter /Standard /V 1 /R 2 /O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b"> /P -4 >>"
        )
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    trailer = b"/Size %d /Root 1 0 R" % (len(objects) + 1)
    if encrypt:
        trailer += b" /Encrypt %d 0 R /ID [<%s> <%s>]" % (len(objects), b"ab" * 16, b"ab" * 16)
    out += b"trailer\n<< %s >>\nstartxref\n%d\n%%%%EOF\n" % (trailer, xref)
    return bytes(out)


HELLO = b"BT /F1 12 Tf 72 720 Td (Annual report: revenue grew.) Tj 0 -20 Td (Second line) Tj ET"
SCANNED = b"0.5 g 72 72 468 648 re f"  # a filled rectangle standing in for a scanned image


# ------------------------------------------------------------------ huge inputs


def random_chinese(n: int, seed: int) -> str:
    """``n`` characters of random common CJK ideographs with a comma now and then.

    Random text is the worst case for the pipeline: nearly every 5-gram is distinct, so
    no stage can shrink it by de-duplication.
    """
    rng = np.random.default_rng(seed)
    cps = rng.integers(0x4E00, 0x9FA6, n, dtype=np.uint32)
    cps[rng.random(n) < 0.05] = ord("，")
    return cps.astype("<u4").tobytes().decode("utf-32-le")


def huge_single_line(path: Path, size: int, seed: int = 0) -> Path:
    """A UTF-8 file of ``size`` bytes (a multiple of 3) on one line, written in 8 MiB pieces."""
    chunk = 8 * 2**20 // 3
    with open(path, "wb") as handle:
        left = size // 3
        part = 0
        while left:
            n = min(chunk, left)
            # seeds from 10 000 up: never those of other random texts of a test (a shared seed
            # would plant a copy of that text in this one)
            handle.write(random_chinese(n, 10_000 + seed * 1000 + part).encode("utf-8"))
            left -= n
            part += 1
    return path


def raw_name(folder: Path, name: bytes) -> bytes:
    """``folder/name`` as bytes, for names that are not valid UTF-8."""
    return os.fsencode(folder) + b"/" + name


# --------------------------------------------------------- good documents

# Work summaries of 25 units, written for these tests. Every clause belongs to one unit only,
# so independent summaries share no passage (only a few words of glue), and a planted copy is
# the one finding an audit should report. {a} {b} {c} are figures.
UNITS: tuple[tuple[str, str, str, str], ...] = (
    ("城东街道办事处", "以网格化治理为抓手，把辖区划为{a}个网格，每格配备专职网格员",
     "全年走访居民{b}户，化解邻里纠纷{c}起，矛盾不出社区的比例明显提高", "老旧楼道照明、加装扶手等微改造项目全部按期完工"),
    ("市场监督管理局", "围绕校园周边食品安全开展拉网式排查，检查经营主体{a}家",
     "立案查处过期食品、无证经营案件{b}件，罚没款{c}万元", "新登记市场主体同比增长，企业开办实现一日办结"),
    ("交通运输局", "新改建农村公路{a}公里，打通断头路{b}条，行政村通客车率达到百分之百",
     "项目负责人刘䶮带队驻点督导，{c}座危桥改造全部完成验收", "城乡公交一体化试点线路开通运营，沿线群众出行更加便捷"),
    ("卫生健康委员会", "推动优质医疗资源下沉，组建医共体{a}个，派驻专家{b}名到乡镇卫生院坐诊",
     "家庭医生签约服务覆盖重点人群{c}万人，慢病随访规范率持续提升", "发热门诊和急救站点布局进一步优化，院前急救平均反应时间缩短"),
    ("文化廣電旅遊局", "舉辦鄉村文化節和非遺展演活動{a}場，吸引遊客{b}萬人次",
     "新建城市書房{c}處，圖書館通借通還網絡延伸到每個鄉鎮", "文物保護單位消防設施全面升級，古建築修繕工程順利推進"),
    ("教育局", "新建改扩建中小学{a}所，新增学位{b}个，大班额问题基本消除",
     "课后服务实现义务教育学校全覆盖，参与学生{c}万人", "教师交流轮岗制度落地，城乡学校结对帮扶取得实效"),
    ("生态环境局", "实施扬尘和工业废气协同治理，全年空气优良天数达到{a}天",
     "关停整治散乱污企业{b}家，完成重点行业超低排放改造{c}项", "饮用水水源地水质稳定达标，土壤污染风险得到有效管控"),
    ("住房和城乡建设局", "改造老旧小区{a}个，惠及居民{b}户，加装电梯{c}部",
     "保障性租赁住房筹集工作超额完成，新市民住房困难有所缓解", "建筑工地智慧监管平台上线，安全文明施工水平提高"),
    ("农业农村局", "建成高标准农田{a}万亩，粮食总产量稳定在{b}万吨以上",
     "培育家庭农场和农民合作社{c}家，农产品加工产值稳步增长", "农村人居环境整治深入开展，户用厕所改造质量抽检合格"),
    ("应急管理局", "开展危险化学品和消防安全专项整治，排查隐患{a}处并全部整改",
     "组织综合应急演练{b}次，培训基层应急队员{c}人", "防汛物资储备库完成扩容，汛期未发生人员伤亡事件"),
    ("民政局", "新建社区嵌入式养老服务中心{a}个，助餐点覆盖{b}个村居",
     "为困难群众发放救助资金{c}万元，做到应保尽保", "婚姻登记实现跨省通办，殡葬改革稳妥推进"),
    ("人力资源和社会保障局", "城镇新增就业{a}人，帮扶就业困难人员再就业{b}人",
     "开展职业技能培训{c}期，高校毕业生留本地就业人数创新高", "根治欠薪专项行动追回农民工工资，劳动争议调解成功率提高"),
    ("自然资源局", "落实耕地占补平衡，补充耕地{a}亩，查处违法用地案件{b}宗",
     "完成国土空间总体规划编制，{c}个乡镇详细规划同步推进", "不动产登记一窗受理，办理时限压缩到三个工作日"),
    ("水利局", "全面落实河湖长制，各级河长巡河{a}次，清理河道垃圾{b}吨",
     "完成小型水库除险加固{c}座，农村供水保障水平提升", "水土流失综合治理面积持续扩大，节水型社会建设通过验收"),
    ("商务局", "组织企业参加境外展会{a}场，外贸进出口总额达到{b}亿元",
     "新培育跨境电商企业{c}家，海外仓布局进一步完善", "汽车和家电以旧换新活动拉动消费，夜间经济街区人气旺盛"),
    ("科学技术局", "认定高新技术企业{a}家，科技型中小企业入库{b}家",
     "孵化器和众创空间新增在孵项目{c}个，技术合同成交额增长", "产学研合作平台促成成果转化，研发投入强度继续提高"),
    ("司法局", "建成村居法律顾问服务网络，提供法律咨询{a}人次",
     "办理法律援助案件{b}件，人民调解组织化解纠纷{c}起", "普法宣传进企业进校园，社区矫正对象无脱管漏管"),
    ("审计局", "完成重大项目跟踪审计{a}项，核减工程投资{b}万元",
     "对{c}个部门开展预算执行审计，推动建章立制", "审计整改清单逐项销号，整改完成率保持较高水平"),
    ("统计局", "完成第五次经济普查登记，核查普查对象{a}个",
     "开展统计执法检查{b}次，纠正不实数据{c}条", "统计数据质量控制体系更加健全，数据发布及时准确"),
    ("医疗保障局", "开展医保基金监管专项检查，覆盖定点医药机构{a}家",
     "追回违规使用基金{b}万元，曝光典型案例{c}起", "门诊费用跨省直接结算全面推开，参保群众少跑腿"),
    ("公安局交通管理大队", "整治酒驾醉驾和超员超载，查处交通违法行为{a}起",
     "在{b}个事故多发路段增设信号灯和减速设施", "中小学生交通安全教育课覆盖{c}所学校，道路交通事故数下降"),
    ("税务局", "落实结构性减税降费政策，为市场主体减轻负担{a}亿元",
     "{b}项涉税事项实现全程网上办理，办税平均时长缩短", "开展税收宣传月活动{c}场，纳税人满意度提升"),
    ("气象局", "新建自动气象观测站{a}个，预警信息发布时效提高到{b}分钟以内",
     "为农业生产提供精细化服务{c}次，人工增雨作业效果良好", "雷电防护安全检查覆盖重点单位，气象科普进社区"),
    ("档案馆", "接收进馆档案{a}卷，完成馆藏档案数字化{b}万页",
     "举办档案文化展览{c}期，编研出版地方史料汇编", "档案库房温湿度监控系统改造完成，安全保管条件改善"),
    ("机关事务管理局", "推进公共机构节能降耗，人均综合能耗下降{a}个百分点",
     "统一调配办公用房{b}平方米，公务用车平台服务{c}车次", "机关食堂推行光盘行动，餐饮浪费明显减少"),
)
PROBLEMS = (
    "基层人员力量仍显不足", "部分项目推进慢于预期", "资金保障压力依然较大", "信息化水平还需提升",
    "群众参与度有待提高", "跨部门协同机制不够顺畅", "专业人才储备相对薄弱", "个别指标与年初目标尚有差距",
    "宣传引导力度还不够", "监管手段比较单一", "城乡之间发展不平衡", "制度执行存在宽松软现象",
    "应对突发情况经验不足", "服务设施布局有待优化", "数据共享程度不高", "社会资本参与意愿偏低",
    "考核评价办法仍需完善", "季节性波动影响明显", "部分设备老化亟须更新", "培训的针对性不强",
    "执法力量分散", "政策知晓率不够高", "极端天气带来新挑战", "库房容量日趋紧张", "成本控制压力加大",
)
PLANS = (
    "加强队伍建设", "建立项目调度台账", "积极争取上级资金支持", "加快数字平台建设", "畅通群众参与渠道",
    "健全联席会议制度", "引进培养专业人才", "对照目标倒排工期", "创新宣传方式方法", "推行非现场监管",
    "加大对薄弱乡镇的倾斜", "强化督查问责", "完善应急预案体系", "科学规划服务网点", "打通数据壁垒",
    "探索多元投入机制", "修订考核细则", "提前研判做好调节", "分批更新设施设备", "按需设置培训课程",
    "整合执法资源", "开展政策进万家活动", "提升监测预报能力", "启动新库房建设", "推行精细化管理",
)
TRADITIONAL = 4  # the unit written in traditional characters (for Big5)


def summary(i: int, *, seed: int = 0, unit: str | None = None) -> tuple[str, str]:
    """(title, body) of the work summary of unit ``i``; ``seed`` varies the figures only.

    >>> title, body = summary(0)
    >>> title, body.count("\\n")
    ('城东街道办事处2023年工作总结', 3)
    """
    name, first, second, third = UNITS[i]
    name = unit or name
    a, b, c = (7 + i * 13 + seed * 5) % 90 + 10, (31 + i * 17 + seed * 11) % 900 + 100, (3 + i * 7 + seed) % 60 + 5
    problem, plan = PROBLEMS[(7 * i + 3) % len(PROBLEMS)], PLANS[(11 * i + 5) % len(PLANS)]
    if i == TRADITIONAL:
        title = f"{name}2023年工作總結"
        closing = "專業人才儲備相對薄弱，下一步將推行精細化管理。"  # PROBLEMS[6] and PLANS[24] in 繁體
    else:
        title = f"{name}2023年工作总结"
        closing = f"{problem}，下一步将{plan}。"
    lines = [
        f"2023年，{name}{first.format(a=a, b=b, c=c)}。",
        f"{second.format(a=a, b=b, c=c)}。",
        f"{third.format(a=a, b=b, c=c)}。",
        closing,
    ]
    return title, "\n".join(lines)


def document_text(i: int, **kwargs: object) -> str:
    """Title line and body: the file content of summary ``i``."""
    title, body = summary(i, **kwargs)  # type: ignore[arg-type]
    return f"{title}\n{body}\n"
