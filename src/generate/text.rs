//! Field rendering: numbers, dates and months in the forms of SPEC §3,
//! person and company names, places and address texts built from gazetteer names.
use chrono::{Datelike, NaiveDate};
use rand::Rng;

/// Appends the decimal digits of `n`.
pub(crate) fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// Appends `n` zero-padded to `width` digits (more if it needs them).
pub(crate) fn push_pad(out: &mut Vec<u8>, n: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut i = buf.len();
    let mut m = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (m % 10) as u8;
        m /= 10;
        if m == 0 {
            break;
        }
    }
    let start = buf.len().saturating_sub(width).min(i);
    out.extend_from_slice(&buf[start..]);
}

/// How a date (or date-time) is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DateStyle {
    /// `2024-03-05`
    Iso,
    /// `2024-3-5`
    IsoShort,
    /// `2024/3/5`
    Slash,
    /// `20240305`
    Compact,
    /// `2024年3月5日`
    Chinese,
    /// `2024-03-05 14:22:10`
    IsoTime,
    /// `2024-03-05T14:22:10+08:00`
    IsoOffset,
    /// `2024/3/5 9:05`
    SlashTime,
    /// `2024-03-05T06:22:10Z`
    IsoZ,
    /// `2024-03-05 14:22:10.250+0800`
    IsoFrac,
}

/// A style for a plain date column.
pub(crate) fn date_style<R: Rng>(rng: &mut R) -> DateStyle {
    match rng.gen_range(0..100u32) {
        0..=54 => DateStyle::Iso,
        55..=64 => DateStyle::IsoShort,
        65..=74 => DateStyle::Slash,
        75..=86 => DateStyle::Compact,
        87..=91 => DateStyle::Chinese,
        92..=96 => DateStyle::IsoTime,
        _ => DateStyle::IsoOffset,
    }
}

/// A style for a time stamp column (`delivered_at`).
pub(crate) fn datetime_style<R: Rng>(rng: &mut R) -> DateStyle {
    match rng.gen_range(0..100u32) {
        0..=54 => DateStyle::IsoTime,
        55..=74 => DateStyle::IsoOffset,
        75..=84 => DateStyle::SlashTime,
        85..=89 => DateStyle::IsoZ,
        90..=94 => DateStyle::IsoFrac,
        95..=97 => DateStyle::Iso,
        _ => DateStyle::Compact,
    }
}

fn push2(out: &mut Vec<u8>, n: u32) {
    out.push(b'0' + (n / 10 % 10) as u8);
    out.push(b'0' + (n % 10) as u8);
}

fn push_time(out: &mut Vec<u8>, secs: u32, with_secs: bool) {
    let secs = secs % 86_400;
    push2(out, secs / 3600);
    out.push(b':');
    push2(out, secs / 60 % 60);
    if with_secs {
        out.push(b':');
        push2(out, secs % 60);
    }
}

/// Appends `d` in `style`; `secs` is the time of day for styles that carry one.
pub(crate) fn push_date(out: &mut Vec<u8>, d: NaiveDate, style: DateStyle, secs: u32) {
    let y = d.year().max(0) as u64;
    let m = d.month();
    let day = d.day();
    match style {
        DateStyle::Iso
        | DateStyle::IsoTime
        | DateStyle::IsoOffset
        | DateStyle::IsoZ
        | DateStyle::IsoFrac => {
            push_pad(out, y, 4);
            out.push(b'-');
            push2(out, m);
            out.push(b'-');
            push2(out, day);
            match style {
                DateStyle::IsoTime => {
                    out.push(b' ');
                    push_time(out, secs, true);
                }
                DateStyle::IsoOffset => {
                    out.push(b'T');
                    push_time(out, secs, true);
                    out.extend_from_slice(b"+08:00");
                }
                DateStyle::IsoZ => {
                    out.push(b'T');
                    push_time(out, secs, true);
                    out.push(b'Z');
                }
                DateStyle::IsoFrac => {
                    out.push(b' ');
                    push_time(out, secs, true);
                    out.push(b'.');
                    push_pad(out, u64::from(secs % 1000), 3);
                    out.extend_from_slice(b"+0800");
                }
                _ => {}
            }
        }
        DateStyle::IsoShort => {
            push_pad(out, y, 4);
            out.push(b'-');
            push_u64(out, u64::from(m));
            out.push(b'-');
            push_u64(out, u64::from(day));
        }
        DateStyle::Slash | DateStyle::SlashTime => {
            push_pad(out, y, 4);
            out.push(b'/');
            push_u64(out, u64::from(m));
            out.push(b'/');
            push_u64(out, u64::from(day));
            if style == DateStyle::SlashTime {
                out.push(b' ');
                let secs = secs % 86_400;
                push_u64(out, u64::from(secs / 3600));
                out.push(b':');
                push2(out, secs / 60 % 60);
            }
        }
        DateStyle::Compact => {
            push_pad(out, y, 4);
            push2(out, m);
            push2(out, day);
        }
        DateStyle::Chinese => {
            push_pad(out, y, 4);
            out.extend_from_slice("年".as_bytes());
            push_u64(out, u64::from(m));
            out.extend_from_slice("月".as_bytes());
            push_u64(out, u64::from(day));
            out.extend_from_slice("日".as_bytes());
        }
    }
}

/// How a month is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MonthStyle {
    Dash2,
    Dash1,
    Slash,
    Compact,
    Chinese,
}

pub(crate) fn month_style<R: Rng>(rng: &mut R) -> MonthStyle {
    match rng.gen_range(0..100u32) {
        0..=59 => MonthStyle::Dash2,
        60..=69 => MonthStyle::Dash1,
        70..=79 => MonthStyle::Slash,
        80..=94 => MonthStyle::Compact,
        _ => MonthStyle::Chinese,
    }
}

/// Appends the month of `d` in `style`.
pub(crate) fn push_month(out: &mut Vec<u8>, d: NaiveDate, style: MonthStyle) {
    let y = d.year().max(0) as u64;
    let m = d.month();
    push_pad(out, y, 4);
    match style {
        MonthStyle::Dash2 => {
            out.push(b'-');
            push2(out, m);
        }
        MonthStyle::Dash1 => {
            out.push(b'-');
            push_u64(out, u64::from(m));
        }
        MonthStyle::Slash => {
            out.push(b'/');
            push_u64(out, u64::from(m));
        }
        MonthStyle::Compact => push2(out, m),
        MonthStyle::Chinese => {
            out.extend_from_slice("年".as_bytes());
            push_u64(out, u64::from(m));
            out.extend_from_slice("月".as_bytes());
        }
    }
}

/// Texts that are not dates under SPEC §3.
pub(crate) const BAD_DATES: [&str; 9] = [
    "2024-02-30",
    "2023-13-01",
    "2024.03.05",
    "05/03/2024",
    "2024-3/5",
    "2024-03-05 25:10",
    "20241301",
    "yesterday",
    "2024年13月1日",
];

/// Texts that are not months under SPEC §3.
pub(crate) const BAD_MONTHS: [&str; 6] = [
    "2024-13",
    "2024-00",
    "2024.03",
    "03/2024",
    "202413",
    "2024年0月",
];

const SURNAMES: [&str; 30] = [
    "陈", "林", "黄", "张", "李", "王", "吴", "刘", "蔡", "杨", "许", "郑", "谢", "洪", "郭", "邱",
    "曾", "廖", "赖", "徐", "周", "叶", "苏", "庄", "吕", "柯", "施", "卢", "蒋", "余",
];
const GIVEN: [&str; 40] = [
    "志", "明", "伟", "芳", "婷", "华", "强", "建", "国", "丽", "敏", "静", "杰", "涛", "鑫", "磊",
    "洋", "勇", "艳", "娟", "秀", "英", "俊", "辉", "斌", "波", "宇", "浩", "凯", "琳", "晨", "雪",
    "梅", "玲", "峰", "龙", "军", "平", "红", "霞",
];

/// A person's name: a surname and one or two given characters.
pub(crate) fn person_name<R: Rng>(rng: &mut R) -> String {
    let mut s = String::with_capacity(9);
    s.push_str(SURNAMES[rng.gen_range(0..SURNAMES.len())]);
    s.push_str(GIVEN[rng.gen_range(0..GIVEN.len())]);
    if rng.gen_bool(0.7) {
        s.push_str(GIVEN[rng.gen_range(0..GIVEN.len())]);
    }
    s
}

const ORG_PREFIX: [&str; 6] = ["泉州", "晋江", "石狮", "福建", "南安", "厦门"];
const ORG_MIDDLE: [&str; 12] = [
    "恒安", "闽南", "海西", "刺桐", "中远", "天成", "华润", "鸿星", "安平", "清源", "东海", "金鹰",
];
const ORG_SUFFIX: [&str; 8] = [
    "科技有限公司",
    "贸易有限公司",
    "鞋业有限公司",
    "纺织有限公司",
    "食品有限公司",
    "物流有限公司",
    "建材商行",
    "餐饮店",
];
const SCHOOL_SUFFIX: [&str; 4] = ["实验中学", "第一中学", "职业技术学院", "师范学院"];

/// A company, shop or school name; now and then with a comma, quotes or a
/// line break so that the CSV writer has to quote it.
pub(crate) fn org_name<R: Rng>(rng: &mut R, school: bool, out: &mut Vec<u8>) {
    out.extend_from_slice(ORG_PREFIX[rng.gen_range(0..ORG_PREFIX.len())].as_bytes());
    out.extend_from_slice(ORG_MIDDLE[rng.gen_range(0..ORG_MIDDLE.len())].as_bytes());
    let suffix = if school {
        SCHOOL_SUFFIX[rng.gen_range(0..SCHOOL_SUFFIX.len())]
    } else {
        ORG_SUFFIX[rng.gen_range(0..ORG_SUFFIX.len())]
    };
    match rng.gen_range(0..1000u32) {
        0..=11 => {
            out.extend_from_slice(suffix.as_bytes());
            out.extend_from_slice(", 分公司".as_bytes());
        }
        12..=17 => {
            out.extend_from_slice("\"".as_bytes());
            out.extend_from_slice(suffix.as_bytes());
            out.extend_from_slice("\"".as_bytes());
        }
        18..=20 => {
            out.extend_from_slice(suffix.as_bytes());
            out.extend_from_slice("\n二号店".as_bytes());
        }
        _ => out.extend_from_slice(suffix.as_bytes()),
    }
}

/// A county-level place where someone can live.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Place {
    /// GB/T 2260 code of the county (or city).
    pub code: u32,
    /// Address prefix down to the county, e.g. `福建省泉州市丰泽区`.
    pub prefix: &'static str,
    /// Shorter prefix variants that still resolve to the same city (may be empty).
    pub short: &'static str,
    /// Whether an address text alone resolves to this place's city.
    pub resolvable: bool,
    /// Fixed-line area code.
    pub area: &'static str,
}

const fn p(
    code: u32,
    prefix: &'static str,
    short: &'static str,
    resolvable: bool,
    area: &'static str,
) -> Place {
    Place {
        code,
        prefix,
        short,
        resolvable,
        area,
    }
}

/// Quanzhou's counties with a weight (people per 1000).
pub(crate) const QUANZHOU: [(Place, u32); 12] = [
    (p(350502, "福建省泉州市鲤城区", "鲤城区", true, "0595"), 80),
    (
        p(350503, "福建省泉州市丰泽区", "泉州市丰泽区", true, "0595"),
        170,
    ),
    (p(350504, "福建省泉州市洛江区", "洛江区", true, "0595"), 40),
    (
        p(350505, "福建省泉州市泉港区", "泉州市泉港区", true, "0595"),
        40,
    ),
    (p(350521, "福建省泉州市惠安县", "惠安县", true, "0595"), 80),
    (
        p(350524, "福建省泉州市安溪县", "泉州市安溪县", true, "0595"),
        70,
    ),
    (p(350525, "福建省泉州市永春县", "永春县", true, "0595"), 40),
    (p(350526, "福建省泉州市德化县", "德化县", true, "0595"), 30),
    (p(350527, "福建省泉州市金门县", "金门县", true, "0595"), 3),
    (p(350581, "福建省泉州市石狮市", "石狮市", true, "0595"), 80),
    (p(350582, "福建省泉州市晋江市", "晋江市", true, "0595"), 247),
    (
        p(350583, "福建省泉州市南安市", "泉州市南安市", true, "0595"),
        120,
    ),
];

/// Other Fujian places: their addresses resolve to the city (the district
/// names are not in the gazetteer).
pub(crate) const FUJIAN: [Place; 14] = [
    p(350102, "福建省福州市鼓楼区", "福州市鼓楼区", true, "0591"),
    p(350104, "福建省福州市仓山区", "福州市仓山区", true, "0591"),
    p(350203, "福建省厦门市思明区", "厦门市思明区", true, "0592"),
    p(350206, "福建省厦门市湖里区", "厦门市湖里区", true, "0592"),
    p(350211, "福建省厦门市集美区", "厦门市", true, "0592"),
    p(350302, "福建省莆田市城厢区", "莆田市城厢区", true, "0594"),
    p(350404, "福建省三明市三元区", "三明市三元区", true, "0598"),
    p(350602, "福建省漳州市芗城区", "漳州市芗城区", true, "0596"),
    p(350681, "福建省漳州市龙海区", "漳州市", true, "0596"),
    p(350702, "福建省南平市延平区", "南平市延平区", true, "0599"),
    p(350802, "福建省龙岩市新罗区", "龙岩市新罗区", true, "0597"),
    p(350902, "福建省宁德市蕉城区", "宁德市蕉城区", true, "0593"),
    p(350200, "福建省厦门市", "厦门市", true, "0592"),
    p(350100, "福建省福州市", "福州市", true, "0591"),
];

/// Places outside Fujian: only their division code locates them.
pub(crate) const ELSEWHERE: [Place; 5] = [
    p(440305, "广东省深圳市南山区", "深圳市南山区", false, "0755"),
    p(330106, "浙江省杭州市西湖区", "杭州市西湖区", false, "0571"),
    p(360102, "江西省南昌市东湖区", "南昌市东湖区", false, "0791"),
    p(310115, "上海市浦东新区", "上海市浦东新区", false, "021"),
    p(510104, "四川省成都市锦江区", "成都市锦江区", false, "028"),
];

/// A Quanzhou county, weighted by population.
pub(crate) fn quanzhou_place<R: Rng>(rng: &mut R) -> Place {
    let mut x = rng.gen_range(0..1000u32);
    for (place, w) in QUANZHOU {
        if x < w {
            return place;
        }
        x -= w;
    }
    QUANZHOU[10].0
}

/// A place in another Fujian city (mostly) or another province.
pub(crate) fn other_place<R: Rng>(rng: &mut R) -> Place {
    if rng.gen_bool(0.85) {
        FUJIAN[rng.gen_range(0..FUJIAN.len())]
    } else {
        ELSEWHERE[rng.gen_range(0..ELSEWHERE.len())]
    }
}

/// Street names: none contains a gazetteer name.
pub(crate) const STREETS: [&str; 20] = [
    "东海街道",
    "中山路",
    "温陵路",
    "刺桐路",
    "泉秀路",
    "田安路",
    "宝洲街",
    "津淮街",
    "丰海路",
    "世纪大道",
    "滨江北路",
    "江滨南路",
    "崇德路",
    "金山路",
    "长兴路",
    "湖滨南路",
    "五一路",
    "学府路",
    "幸福街",
    "新华路",
];
const ESTATES: [&str; 6] = [
    "阳光花园",
    "金色家园",
    "滨海嘉园",
    "世茂云图",
    "万科城",
    "碧桂园",
];

/// An address text for a home at `place`: prefix, street, number, flat.
pub(crate) fn home_address<R: Rng>(rng: &mut R, place: &Place) -> String {
    let mut s = String::with_capacity(64);
    if !place.short.is_empty() && rng.gen_bool(0.3) {
        s.push_str(place.short);
    } else {
        s.push_str(place.prefix);
    }
    s.push_str(STREETS[rng.gen_range(0..STREETS.len())]);
    s.push_str(&rng.gen_range(1..400u32).to_string());
    s.push('号');
    if rng.gen_bool(0.6) {
        s.push_str(ESTATES[rng.gen_range(0..ESTATES.len())]);
        s.push_str(&rng.gen_range(1..30u32).to_string());
        s.push('栋');
        s.push_str(&(rng.gen_range(1..33u32) * 100 + rng.gen_range(1..5u32)).to_string());
        s.push('室');
    }
    s
}

/// An address text that names no gazetteer place (`unresolved_address`).
pub(crate) fn unresolved_address<R: Rng>(rng: &mut R, out: &mut Vec<u8>) {
    const HEADS: [&str; 5] = ["泉州丰泽", "福建省", "晋江安海镇", "鲤城", ""];
    out.extend_from_slice(HEADS[rng.gen_range(0..HEADS.len())].as_bytes());
    out.extend_from_slice(STREETS[rng.gen_range(0..STREETS.len())].as_bytes());
    push_u64(out, rng.gen_range(1..400));
    out.extend_from_slice("号".as_bytes());
}

/// An address text whose gazetteer names contradict each other (`ambiguous_address`).
pub(crate) fn ambiguous_address<R: Rng>(rng: &mut R, out: &mut Vec<u8>) {
    const HEADS: [&str; 4] = [
        "福建省福州市丰泽区",
        "厦门市泉州市",
        "福州市厦门市湖里区",
        "福建省泉州市鲤城区漳州市",
    ];
    out.extend_from_slice(HEADS[rng.gen_range(0..HEADS.len())].as_bytes());
    out.extend_from_slice(STREETS[rng.gen_range(0..STREETS.len())].as_bytes());
    push_u64(out, rng.gen_range(1..400));
    out.extend_from_slice("号".as_bytes());
}

/// The gazetteer's names (SPEC §3), for tests.
#[cfg(test)]
pub(crate) const GAZETTEER: [(&str, u32); 21] = [
    ("福州市", 350100),
    ("厦门市", 350200),
    ("莆田市", 350300),
    ("三明市", 350400),
    ("泉州市", 350500),
    ("漳州市", 350600),
    ("南平市", 350700),
    ("龙岩市", 350800),
    ("宁德市", 350900),
    ("鲤城区", 350502),
    ("丰泽区", 350503),
    ("洛江区", 350504),
    ("泉港区", 350505),
    ("惠安县", 350521),
    ("安溪县", 350524),
    ("永春县", 350525),
    ("德化县", 350526),
    ("金门县", 350527),
    ("石狮市", 350581),
    ("晋江市", 350582),
    ("南安市", 350583),
];

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn s(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut v = Vec::new();
        f(&mut v);
        String::from_utf8(v).expect("utf8")
    }

    #[test]
    fn numbers() {
        assert_eq!(s(|o| push_u64(o, 0)), "0");
        assert_eq!(s(|o| push_u64(o, 1234567)), "1234567");
        assert_eq!(s(|o| push_pad(o, 42, 5)), "00042");
        assert_eq!(s(|o| push_pad(o, 123456, 3)), "123456");
    }

    #[test]
    fn date_forms() {
        let d = NaiveDate::from_ymd_opt(2024, 3, 5).expect("date");
        let t = 9 * 3600 + 5 * 60 + 7;
        assert_eq!(s(|o| push_date(o, d, DateStyle::Iso, t)), "2024-03-05");
        assert_eq!(s(|o| push_date(o, d, DateStyle::IsoShort, t)), "2024-3-5");
        assert_eq!(s(|o| push_date(o, d, DateStyle::Slash, t)), "2024/3/5");
        assert_eq!(s(|o| push_date(o, d, DateStyle::Compact, t)), "20240305");
        assert_eq!(
            s(|o| push_date(o, d, DateStyle::Chinese, t)),
            "2024年3月5日"
        );
        assert_eq!(
            s(|o| push_date(o, d, DateStyle::IsoTime, t)),
            "2024-03-05 09:05:07"
        );
        assert_eq!(
            s(|o| push_date(o, d, DateStyle::IsoOffset, t)),
            "2024-03-05T09:05:07+08:00"
        );
        assert_eq!(
            s(|o| push_date(o, d, DateStyle::SlashTime, t)),
            "2024/3/5 9:05"
        );
        assert_eq!(
            s(|o| push_date(o, d, DateStyle::IsoZ, t)),
            "2024-03-05T09:05:07Z"
        );
        assert_eq!(
            s(|o| push_date(o, d, DateStyle::IsoFrac, t)),
            "2024-03-05 09:05:07.707+0800"
        );
        assert_eq!(s(|o| push_month(o, d, MonthStyle::Dash2)), "2024-03");
        assert_eq!(s(|o| push_month(o, d, MonthStyle::Dash1)), "2024-3");
        assert_eq!(s(|o| push_month(o, d, MonthStyle::Slash)), "2024/3");
        assert_eq!(s(|o| push_month(o, d, MonthStyle::Compact)), "202403");
        assert_eq!(s(|o| push_month(o, d, MonthStyle::Chinese)), "2024年3月");
    }

    #[test]
    fn street_names_hold_no_gazetteer_name() {
        for text in STREETS.iter().chain(ESTATES.iter()) {
            for (name, _) in GAZETTEER {
                assert!(!text.contains(name), "{text} contains {name}");
            }
        }
    }

    #[test]
    fn weights_sum_to_1000() {
        assert_eq!(QUANZHOU.iter().map(|(_, w)| w).sum::<u32>(), 1000);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..100 {
            assert_eq!(quanzhou_place(&mut rng).code / 100, 3505);
        }
    }
}
