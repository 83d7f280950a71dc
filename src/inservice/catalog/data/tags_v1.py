"""Attribute tags (專案屬性標籤) with their history as recorded in the seed document.

FROZEN: migration 0004 loads this file. Never edit it to change the data; add, redefine or
retire a tag in a new migration (docs/catalog.md explains how).

Dates come from the seed's yearly history (附件三 大事紀); ROC years converted to AD
(113年8月1日 = 2024-08-01). `valid_to` is the first day the tag can no longer be chosen:
the seed says 〔SDGs〕 was deleted on 113年8月1日, so its valid_to is 2024-08-01.
`valid_from` is None where the seed does not record when a tag was introduced (the tag
feature itself dates from 民國100年 / 2011).

Definitions are written in our own words to describe what each tag is used for; the
network's official wording is in 《全國教師在職進修資訊網屬性標籤使用管理規範》 (published
112年7月20日), which the seed does not reproduce. `definition_from` is the date of the
latest (re)definition the seed records, or the tag's start date.

Not loaded: 〔教保專業〕, 〔基本訓練〕, 〔安全教育〕, 〔安全訓練〕 — the seed only records that
their definitions were updated on 112年6月30日, without saying what they cover; add them
with a migration once the official definitions are at hand.
"""

import datetime

SOURCE = "附件三 大事紀（屬性標籤之新增、定義更新與刪除）"

TAGS = [
    {
        "code": "gender-equality",
        "name": "性平教育",
        "valid_from": None,
        "valid_to": None,
        "definition_from": datetime.date(2024, 8, 1),
        "definition": (
            "以性別平等教育為主題的研習：促進教師對性別平等意識、情感與性教育、"
            "性別關係及校園性別事件防治與處理的理解與教學能力。"
        ),
        "history": "起始日期未見於紀錄；113年8月1日更新定義。",
    },
    {
        "code": "international-education",
        "name": "國際教育",
        "valid_from": None,
        "valid_to": None,
        "definition_from": datetime.date(2024, 8, 1),
        "definition": (
            "以國際教育為主題的研習：協助教師發展學生的國際視野與全球素養，"
            "如國際教育課程設計、國際交流合作、全球議題融入教學等。"
        ),
        "history": "起始日期未見於紀錄；113年8月1日更新定義。",
    },
    {
        "code": "digital-learning",
        "name": "精進數位",
        "valid_from": datetime.date(2023, 2, 1),
        "valid_to": None,
        "definition_from": datetime.date(2024, 8, 1),
        "definition": (
            "配合教育部推動中小學數位學習精進方案所辦理的研習：提升教師運用數位工具、"
            "學習平臺與數位內容進行教學及評量的能力。"
        ),
        "history": "112年2月1日依教育部資科司需求新增；112年8月8日、113年8月1日更新定義。",
    },
    {
        "code": "media-literacy",
        "name": "媒體素養",
        "valid_from": datetime.date(2023, 7, 5),
        "valid_to": None,
        "definition_from": datetime.date(2023, 7, 5),
        "definition": (
            "以媒體素養為主題的研習：培養教師辨識、分析與評估媒體及網路資訊，"
            "並能引導學生負責任地使用與創作媒體內容。"
        ),
        "history": "112年7月5日依112年度第一次總召會議決議新增。",
    },
    {
        "code": "cybersecurity",
        "name": "資通安全",
        "valid_from": datetime.date(2023, 1, 3),
        "valid_to": None,
        "definition_from": datetime.date(2023, 1, 3),
        "definition": (
            "以資通安全為主題的研習：充實教師與學校人員的資訊安全、個人資料保護與網路安全防護知能。"
        ),
        "history": "112年1月3日依111年第二次總召會議決議新增。",
    },
    {
        "code": "family-education",
        "name": "家庭教育",
        "valid_from": datetime.date(2023, 1, 3),
        "valid_to": None,
        "definition_from": datetime.date(2023, 1, 3),
        "definition": (
            "以家庭教育為主題的研習：協助教師認識家庭功能與親職、婚姻、代間關係等議題，"
            "並將家庭教育融入教學與親師合作。"
        ),
        "history": "112年1月3日依111年第二次總召會議決議新增。",
    },
    {
        "code": "labour-rights",
        "name": "勞權教育",
        "valid_from": datetime.date(2023, 1, 3),
        "valid_to": None,
        "definition_from": datetime.date(2023, 1, 3),
        "definition": (
            "以勞動權益為主題的研習：使教師瞭解勞動法令與勞工權益，"
            "並能在教學中培養學生尊嚴勞動的觀念。"
        ),
        "history": "112年1月3日依111年第二次總召會議決議新增。",
    },
    {
        "code": "nonmajor-living-tech",
        "name": "生科非專",
        "valid_from": datetime.date(2019, 9, 17),
        "valid_to": None,
        "definition_from": datetime.date(2019, 9, 17),
        "definition": (
            "為非生活科技專長、但擔任生活科技課程的教師所辦理的增能研習，"
            "用以統計非專長授課教師的進修情形。"
        ),
        "history": "108年9月17日新增。",
    },
    {
        "code": "nonmajor-info-tech",
        "name": "資訊非專",
        "valid_from": datetime.date(2019, 9, 17),
        "valid_to": None,
        "definition_from": datetime.date(2019, 9, 17),
        "definition": (
            "為非資訊科技專長、但擔任資訊科技課程的教師所辦理的增能研習，"
            "用以統計非專長授課教師的進修情形。"
        ),
        "history": "108年9月17日新增；紀錄中亦稱「資科非專」。",
    },
    {
        "code": "nonmajor-health",
        "name": "健康非專",
        "valid_from": datetime.date(2019, 9, 17),
        "valid_to": None,
        "definition_from": datetime.date(2019, 9, 17),
        "definition": (
            "為非健康教育專長、但擔任健康教育課程的教師所辦理的增能研習，"
            "用以統計非專長授課教師的進修情形。"
        ),
        "history": "108年9月17日新增。",
    },
    {
        "code": "feedback-basic",
        "name": "初階回饋",
        "valid_from": datetime.date(2019, 7, 1),
        "valid_to": None,
        "definition_from": datetime.date(2019, 7, 1),
        "definition": (
            "教師專業發展實踐方案中培育初階回饋人員的課程，內容為觀課、議課與專業回饋的基本知能。"
        ),
        "history": "108年7月1日新增（取代〔教專評鑑〕）。",
    },
    {
        "code": "feedback-advanced",
        "name": "進階回饋",
        "valid_from": datetime.date(2019, 7, 1),
        "valid_to": None,
        "definition_from": datetime.date(2019, 7, 1),
        "definition": (
            "教師專業發展實踐方案中培育進階回饋人員的課程，"
            "內容為引導同儕專業成長、深化專業回饋與實務應用。"
        ),
        "history": "108年7月1日新增（取代〔教專評鑑〕）。",
    },
    {
        "code": "teaching-mentoring",
        "name": "教學輔導",
        "valid_from": datetime.date(2019, 7, 1),
        "valid_to": None,
        "definition_from": datetime.date(2019, 7, 1),
        "definition": ("培育與支持教學輔導教師的課程，協助其陪伴初任或有需要的教師精進教學。"),
        "history": "108年7月1日新增（取代〔教專評鑑〕）。",
    },
    {
        "code": "sdgs",
        "name": "SDGs",
        "valid_from": None,
        "valid_to": datetime.date(2024, 8, 1),
        "definition_from": None,
        "definition": ("以聯合國永續發展目標（SDGs）為主題，或將永續發展議題融入教學的研習。"),
        "history": "起始日期未見於紀錄；113年8月1日刪除（停用），既有課程之標籤仍可查詢。",
    },
    {
        "code": "pd-evaluation",
        "name": "教專評鑑",
        "valid_from": None,
        "valid_to": datetime.date(2019, 7, 1),
        "definition_from": None,
        "definition": ("與教師專業發展評鑑相關的研習，如評鑑規準、教學觀察與回饋、教學檔案等。"),
        "history": (
            "起始日期未見於紀錄；108年7月1日刪除（停用），"
            "改以〔初階回饋〕、〔進階回饋〕、〔教學輔導〕標示。"
        ),
    },
]
