"""課程性質 (field 4 of the course form): education stage – learning domain – subject.

FROZEN: migration 0005 loads this file. Never edit it to change the data; revise it in a new
migration (docs/catalog.md explains how).

The network's own code list (資訊傳報欄位對照表_課程性質) is not in the seed, so the codes
here are our own and stable: stage "JH", domain "JH-SCI", subject "JH-SCI-BIO". Sources:
- 十二年國民基本教育課程綱要總綱 (教育部103年11月發布，108學年度起逐年實施，及其後修正
  將本土語文/臺灣手語列為國中、高中部定課程): learning domains and subjects of 國民小學,
  國民中學, 普通型高級中等學校 and 技術型高級中等學校 (一般科目 and the 15 專業群科);
- 幼兒園教保活動課程大綱 (教育部105年12月發布，106年8月1日生效): its six domains;
- 十二年國民基本教育特殊教育課程實施規範: the 特殊需求領域 subjects;
- our additions, marked "自訂" (source SOURCE_OWN): the 跨領域 domain of every stage and the
  不分教育階段 stage, so that courses not tied to one subject can still be coded.
"""

SOURCE_12Y = "十二年國民基本教育課程綱要總綱"
SOURCE_KG = "幼兒園教保活動課程大綱"
SOURCE_SE = "十二年國民基本教育特殊教育課程實施規範（特殊需求領域）"
SOURCE_OWN = "自訂"

_LANG_LOCAL = [
    ("MIN", "本土語文-閩南語文"),
    ("HAK", "本土語文-客家語文"),
    ("IND", "本土語文-原住民族語文"),
    ("MDO", "本土語文-閩東語文"),
    ("TSL", "臺灣手語"),
]
_GENERAL = ("GEN", "跨領域", [("GEN", "跨領域/不分科目")])

_SENIOR_GENERAL = [
    ("LANG", "語文", [("CHN", "國語文"), ("ENG", "英語文"), *_LANG_LOCAL, ("SFL", "第二外國語文")]),
    ("MATH", "數學", [("MATH", "數學")]),
    ("SOC", "社會", [("HIS", "歷史"), ("GEO", "地理"), ("CIV", "公民與社會")]),
    (
        "SCI",
        "自然科學",
        [("PHY", "物理"), ("CHE", "化學"), ("BIO", "生物"), ("EAR", "地球科學")],
    ),
    ("ART", "藝術", [("MUS", "音樂"), ("FA", "美術"), ("ARTL", "藝術生活")]),
    ("INT", "綜合活動", [("LIFE", "生命教育"), ("CAR", "生涯規劃"), ("HEC", "家政")]),
    ("TECH", "科技", [("LT", "生活科技"), ("IT", "資訊科技")]),
    ("HPE", "健康與體育", [("HN", "健康與護理"), ("PE", "體育")]),
    ("NDE", "全民國防教育", [("NDE", "全民國防教育")]),
]

_VOCATIONAL_GROUPS = [
    ("G01", "機械群"),
    ("G02", "動力機械群"),
    ("G03", "電機與電子群"),
    ("G04", "化工群"),
    ("G05", "土木與建築群"),
    ("G06", "商業與管理群"),
    ("G07", "外語群"),
    ("G08", "設計群"),
    ("G09", "農業群"),
    ("G10", "食品群"),
    ("G11", "家政群"),
    ("G12", "餐旅群"),
    ("G13", "水產群"),
    ("G14", "海事群"),
    ("G15", "藝術群"),
]

# (code, name, taxonomy stage of 附件五 or "", source, [(domain code, name, [(subject code,
# name), ...]), ...]). Full codes are joined with "-".
STAGES = [
    (
        "KG",
        "幼兒園",
        "kindergarten",
        SOURCE_KG,
        [
            ("BODY", "身體動作與健康", [("BODY", "身體動作與健康")]),
            ("COG", "認知", [("COG", "認知")]),
            ("LANG", "語文", [("LANG", "語文")]),
            ("SOC", "社會", [("SOC", "社會")]),
            ("EMO", "情緒", [("EMO", "情緒")]),
            ("AES", "美感", [("AES", "美感")]),
            _GENERAL,
        ],
    ),
    (
        "ES",
        "國民小學",
        "elementary",
        SOURCE_12Y,
        [
            (
                "LANG",
                "語文",
                [("CHN", "國語文"), *_LANG_LOCAL, ("NIL", "新住民語文"), ("ENG", "英語文")],
            ),
            ("MATH", "數學", [("MATH", "數學")]),
            ("SOC", "社會", [("SOC", "社會")]),
            ("SCI", "自然科學", [("SCI", "自然科學")]),
            ("ART", "藝術", [("MUS", "音樂"), ("VIS", "視覺藝術"), ("PERF", "表演藝術")]),
            ("INT", "綜合活動", [("INT", "綜合活動")]),
            ("HPE", "健康與體育", [("HLT", "健康教育"), ("PE", "體育")]),
            ("LIFE", "生活課程", [("LIFE", "生活課程")]),
            ("FLEX", "彈性學習課程", [("FLEX", "彈性學習課程")]),
            _GENERAL,
        ],
    ),
    (
        "JH",
        "國民中學",
        "junior_high",
        SOURCE_12Y,
        [
            (
                "LANG",
                "語文",
                [("CHN", "國語文"), *_LANG_LOCAL, ("NIL", "新住民語文"), ("ENG", "英語文")],
            ),
            ("MATH", "數學", [("MATH", "數學")]),
            ("SOC", "社會", [("HIS", "歷史"), ("GEO", "地理"), ("CIV", "公民與社會")]),
            ("SCI", "自然科學", [("BIO", "生物"), ("PHC", "理化"), ("EAR", "地球科學")]),
            ("ART", "藝術", [("MUS", "音樂"), ("VIS", "視覺藝術"), ("PERF", "表演藝術")]),
            ("INT", "綜合活動", [("HEC", "家政"), ("SCT", "童軍"), ("GUI", "輔導")]),
            ("TECH", "科技", [("IT", "資訊科技"), ("LT", "生活科技")]),
            ("HPE", "健康與體育", [("HLT", "健康教育"), ("PE", "體育")]),
            ("FLEX", "彈性學習課程", [("FLEX", "彈性學習課程")]),
            _GENERAL,
        ],
    ),
    (
        "SH",
        "普通型高級中等學校",
        "senior_high",
        SOURCE_12Y,
        [*_SENIOR_GENERAL, _GENERAL],
    ),
    (
        "VH",
        "技術型高級中等學校",
        "senior_high",
        SOURCE_12Y,
        [
            *_SENIOR_GENERAL,
            *[
                (code, name, [("PRO", "專業科目"), ("PRA", "實習科目")])
                for code, name in _VOCATIONAL_GROUPS
            ],
            _GENERAL,
        ],
    ),
    (
        "SE",
        "特殊教育",
        "",
        SOURCE_SE,
        [
            (
                "SN",
                "特殊需求領域",
                [
                    ("LM", "生活管理"),
                    ("SS", "社會技巧"),
                    ("LS", "學習策略"),
                    ("VE", "職業教育"),
                    ("CT", "溝通訓練"),
                    ("BR", "點字"),
                    ("OM", "定向行動"),
                    ("FM", "功能性動作訓練"),
                    ("AT", "輔助科技應用"),
                    ("CR", "創造力"),
                    ("LD", "領導才能"),
                    ("AD", "情意發展"),
                    ("IS", "獨立研究"),
                ],
            ),
            ("ADJ", "一般領域課程調整", [("ADJ", "各領域/科目課程調整")]),
            _GENERAL,
        ],
    ),
    (
        "GN",
        "不分教育階段",
        "",
        SOURCE_OWN,
        [("GEN", "不分領域", [("GEN", "不分領域/科目")])],
    ),
]

# Domains that are our own additions rather than taken from a curriculum document.
OWN_DOMAINS = {"GEN"}
