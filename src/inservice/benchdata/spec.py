"""The shape of the synthetic data: sizes per scale and the seed document's figures.

Sources (seed `000_67a8d59eb5d9cace.txt`, docs/domain.md):
- totals: 10,211 units with staff accounts, ~220,000 teachers, 3.9 million courses (we use
  4,000,000 over 20 years), 13 million hours a year, up to 292,000 registrations a month;
- 附件十二 十三 1: courses registered per month 2022–2024 (the seasonal curve, peaks in March
  and September);
- 玖 一 and 玖 二: the partners that transmit records, and the five counties that transmit from
  their own systems (organizations.reference_data.COUNTIES marks them);
- 附件一 / 玖: unit types (49 teacher-training universities, 312 national/private senior highs
  and special-education schools, 1,644 social-education institutions and legal persons,
  26 subject centers); school counts follow the national school statistics.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    units: int  # all units in the database, the reference units included
    teachers: int
    courses: int
    records: int
    registrations: int  # in the current year
    years: int = 20
    anchor_records: int = 1500  # the teacher with 40 years of records
    closing_attendees: int = 500  # the held, not yet closed course (closing benchmark)


SCALES: dict[str, Scale] = {
    "tiny": Scale(
        "tiny",
        units=60,
        teachers=300,
        courses=2_400,
        records=6_000,
        registrations=1_500,
        anchor_records=200,
        closing_attendees=40,
    ),
    "small": Scale(
        "small",
        units=511,
        teachers=11_000,
        courses=200_000,
        records=2_000_000,
        registrations=150_000,
    ),
    "national": Scale(
        "national",
        units=10_211,
        teachers=220_000,
        courses=4_000_000,
        records=40_000_000,
        registrations=3_000_000,
    ),
}

# 附件十二 十三 1 課程登錄量 (courses registered), by month. 2024 stops in November (partial
# month, not used) — the curve is the mean of the months the seed gives in full.
COURSES_PER_MONTH = {
    2022: (27313, 24536, 32854, 22582, 20796, 20884, 21433, 29167, 36713, 31524, 29559, 27101),
    2023: (18327, 26975, 32846, 22971, 24011, 27454, 19141, 27268, 26644, 25488, 25600, 24831),
    2024: (16084, 29966, 30641, 28419, 24158, 27420, 20555, 28305, 30306, 27406, None, None),
}


def month_weights() -> list[float]:
    weights = []
    for month in range(12):
        values = [row[month] for row in COURSES_PER_MONTH.values() if row[month] is not None]
        weights.append(sum(values) / len(values))
    return weights


# Organizer units by kind at national scale (10,211 with the 32 reference units). Schools
# follow the national statistics (about 2,630 elementary, 740 junior high, 500 senior high,
# kindergartens with staff accounts); the rest follows 附件一 and 玖.
# (kind, count at national scale, {ownership: share}, teachers per unit (mean))
UNIT_KINDS: tuple[tuple[str, int, dict[str, float], float], ...] = (
    ("elementary", 2630, {"municipal": 0.96, "private": 0.03, "national": 0.01}, 34.0),
    ("junior_high", 740, {"municipal": 0.90, "private": 0.08, "national": 0.02}, 48.0),
    ("senior_high", 380, {"national": 0.35, "private": 0.38, "municipal": 0.27}, 72.0),
    ("vocational_high", 120, {"national": 0.45, "private": 0.40, "municipal": 0.15}, 70.0),
    ("special_ed_school", 28, {"national": 0.55, "municipal": 0.45}, 60.0),
    ("kindergarten", 4238, {"municipal": 0.42, "private": 0.58}, 5.0),
    ("training_center", 22, {"municipal": 1.0}, 0.0),
    ("teacher_univ", 49, {"national": 0.85, "private": 0.15}, 0.0),
    ("university", 60, {"private": 0.6, "national": 0.4}, 0.0),
    ("subject_center", 26, {"none": 1.0}, 0.0),
    ("experimental", 120, {"private": 0.8, "none": 0.2}, 4.0),
    ("recognised_org", 300, {"none": 1.0}, 0.0),
    ("legal_person", 900, {"none": 1.0}, 0.0),
    ("unincorporated_group", 250, {"none": 1.0}, 0.0),
    ("local_agency", 150, {"none": 1.0}, 0.0),
    ("community_college", 80, {"none": 1.0}, 0.0),
    ("central_agency", 40, {"national": 1.0}, 0.0),
    ("teacher_union", 60, {"none": 1.0}, 0.0),
    ("overseas_school", 5, {"private": 1.0}, 20.0),
)

# How many courses a unit of each kind organises, relative to an elementary school.
COURSE_WEIGHT = {
    "elementary": 1.0,
    "junior_high": 1.4,
    "senior_high": 2.2,
    "vocational_high": 2.0,
    "special_ed_school": 2.0,
    "kindergarten": 0.25,
    "training_center": 40.0,
    "teacher_univ": 12.0,
    "university": 5.0,
    "subject_center": 15.0,
    "experimental": 0.3,
    "recognised_org": 2.0,
    "legal_person": 1.5,
    "unincorporated_group": 1.0,
    "local_agency": 1.5,
    "community_college": 1.0,
    "central_agency": 6.0,
    "teacher_union": 2.0,
    "overseas_school": 0.5,
    # reference units (regional centers organise too)
    "county_bureau": 30.0,
    "national_center": 10.0,
    "k12_admin_group": 8.0,
    "moe": 2.0,
    "working_circle": 4.0,
    "review_panel": 0.0,
}

# Teachers (and so units) per county, roughly the share of K-12 teachers.
COUNTY_WEIGHTS = {
    "65000": 17.0, "63000": 11.0, "68000": 10.0, "66000": 12.0, "67000": 8.0, "64000": 12.0,
    "10002": 2.5, "10004": 2.8, "10005": 2.5, "10007": 5.5, "10008": 2.6, "10009": 3.2,
    "10010": 2.4, "10013": 3.8, "10014": 1.5, "10015": 1.8, "10016": 0.7, "10017": 1.5,
    "10018": 2.1, "10020": 1.3, "09020": 0.6, "09007": 0.2,
}  # fmt: skip

# First letter of national ID numbers by county (the letter table of the ID number).
COUNTY_ID_LETTERS = {
    "65000": "F", "63000": "A", "68000": "H", "66000": "B", "67000": "D", "64000": "E",
    "10002": "G", "10004": "J", "10005": "K", "10007": "N", "10008": "M", "10009": "P",
    "10010": "Q", "10013": "T", "10014": "V", "10015": "U", "10016": "X", "10017": "C",
    "10018": "O", "10020": "I", "09020": "W", "09007": "Z",
}  # fmt: skip

# Partners that transmit records (玖 一 (二), (三)); records from them are ~5% of the total.
PARTNERS: tuple[tuple[str, str, float], ...] = (
    ("國家教育研究院-研習及活動資訊網", "NAER", 3.0),
    ("人事行政總處-e等公務園+學習平臺", "ECPA", 3.0),
    ("行政院客家委員會-哈客網路學院", "HAKKA", 1.0),
    ("教育部國民及學前教育署-全國教保資訊網", "ECE", 1.5),
    ("教育部資訊及科技教育司-教育部磨課師平臺", "MOOCS", 2.0),
    ("國家高速網路與計算中心-知識大講堂", "NCHC", 1.0),
    ("勞動部-全民勞教e網", "MOL", 1.0),
    ("教育部學生事務及特殊教育司-特殊教育專業發展數位課程平臺", "SPED", 1.5),
    ("國家圖書館-國家圖書館遠距學園", "NCL", 0.8),
    ("臺北市政府公務人員訓練處-臺北e大", "TPEU", 1.0),
    ("文化部-藝文活動平台", "MOC", 0.5),
)
PARTNER_SHARE = 0.05

SURNAMES = (
    "陳陳陳林林林黃黃張張李李王王吳吳劉劉蔡蔡楊楊許鄭謝郭洪曾邱廖賴周徐蘇葉莊呂江何蕭羅高潘簡朱"
    "鍾彭游詹胡施沈余趙盧梁顏柯孫魏翁戴范宋方"
)
GIVEN_CHARS = (
    "怡君雅婷淑芬美玲惠如佳蓉宜靜秀英麗華志明建宏俊傑家豪冠宇承恩柏翰品妤欣怡詩涵子晴"
    "宗翰信宏文彥國豪嘉玲慧敏雅雯佩珊心怡書豪偉誠曉芳琬婷鈺婷育德思穎韋廷昱廷"
)
PLACE_CHARS = (
    "光明德興華文安和平仁信義忠孝中正大新永福東西南北山海河林溪湖竹松柏梅蘭英育成功民生"
    "昌榮富春秋雲龍鳳泉石田橋港埔坑寮崙厝豐富樂善勝利復興建國自強博愛崇實"
)

NAME_SUFFIXES = (
    "研習", "研習", "工作坊", "增能研習", "實作工作坊", "專題講座", "教師專業學習社群",
    "研討會", "知能研習", "觀課議課", "實務分享", "共備社群",
)  # fmt: skip
LIFE_TOPICS = (
    "教師身心健康促進", "急救訓練(CPR+AED)", "校園防災演練", "食品安全與營養", "理財知能",
    "藝術欣賞與美感生活", "教師情緒管理", "運動傷害防護", "樂齡生活與退休規劃", "茶道與生活美學",
)  # fmt: skip
SUBJECT_CENTERS = (
    "國文", "英文", "數學", "歷史", "地理", "公民與社會", "物理", "化學", "生物", "地球科學",
    "音樂", "美術", "藝術生活", "生活科技", "資訊科技", "家政", "體育", "健康與護理",
    "全民國防教育", "生涯規劃", "本土語文", "第二外國語文", "特殊教育", "科技領域",
    "自然科學探究與實作", "社會領域探究與實作",
)  # fmt: skip
CENTRAL_AGENCIES = (
    "國家教育研究院", "教育部體育署", "教育部青年發展署", "國立教育廣播電臺", "國立臺灣圖書館",
    "國立公共資訊圖書館", "國立臺灣科學教育館", "國立自然科學博物館", "國立科學工藝博物館",
    "國立海洋科技博物館", "國立臺灣美術館", "國立臺灣藝術教育館", "國立臺灣歷史博物館",
    "國立臺灣史前文化博物館", "國立國父紀念館", "國立中正紀念堂管理處", "衛生福利部國民健康署",
    "內政部消防署", "交通部公路局", "經濟部能源署",
)  # fmt: skip
OVERSEAS_SCHOOLS = (
    "吉隆坡臺灣學校", "檳吉臺灣學校", "雪蘭莪臺灣學校", "胡志明市臺灣學校", "印尼雅加達臺灣學校",
    "泗水臺灣學校", "華夏臺灣學校",
)  # fmt: skip
ORG_FIELDS = (
    "數學教育", "閱讀推廣", "科學教育", "特殊教育", "環境教育", "藝術教育", "資訊教育",
    "品德教育", "生命教育", "海洋教育", "原住民族教育", "家庭教育",
)  # fmt: skip
ROOMS = ("視聽教室", "會議室", "圖書館", "多功能教室", "演講廳", "電腦教室", "學習中心", "禮堂")
