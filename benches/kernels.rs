//! Micro-benchmarks of the pure core's hot kernels: the per-field parsers every input row goes
//! through, address resolution, and the per-person spell merge.
//!
//! Each benchmark runs one kernel over a realistic, deterministic batch of inputs (mixed valid
//! and invalid, every accepted format) and reports throughput in elements (fields, addresses or
//! intervals) per second. Run with `cargo bench --bench kernels`; see docs/BENCHMARKS.md.
// Benchmarks report their input mix on stderr next to criterion's numbers.
#![allow(clippy::print_stderr)]
// `criterion_group!` defines a `pub fn` that cannot carry a doc comment, and
// a bench is a binary: it has no API to document.
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use chrono::{Datelike, Duration as Days, NaiveDate};
use criterion::measurement::WallTime;
use criterion::{
    BenchmarkGroup, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main,
};

use residence::ingest::gazetteer::load_gazetteer;
use residence::ingest::reader::{Encoding, RecordReader};
use residence::rules::address::Gazetteer;
use residence::rules::date::{parse_date, parse_month};
use residence::rules::id::{check_char, parse_id_number};
use residence::rules::phone::parse_phone;
use residence::rules::spell::{Interval, Spell, merge_spells, months};

/// Inputs per parser batch.
const BATCH: usize = 1024;

/// SplitMix64: a tiny deterministic generator so the batches are identical on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// A date in `from ..= from + span_days`.
    fn date(&mut self, from: NaiveDate, span_days: u64) -> NaiveDate {
        from + Days::days(self.below(span_days + 1) as i64)
    }
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid literal date")
}

const AS_OF: (i32, u32, u32) = (2026, 11, 27);

fn as_of() -> NaiveDate {
    ymd(AS_OF.0, AS_OF.1, AS_OF.2)
}

/// Full-width form of ASCII digits and letters (what some agency exports contain).
fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// ID numbers

const AREAS: [&str; 8] = [
    "350502", "350503", "350582", "350583", "350521", "430102", "110101", "440305",
];

/// The first 17 digits of a plausible 18-digit number.
fn id_first17(rng: &mut Rng) -> [u8; 17] {
    let birth = rng.date(ymd(1950, 1, 1), 58 * 365);
    let body = format!(
        "{}{:04}{:02}{:02}{:03}",
        rng.pick(&AREAS),
        birth.year(),
        birth.month(),
        birth.day(),
        rng.below(1000)
    );
    body.as_bytes().try_into().expect("17 digits")
}

fn valid_id18(rng: &mut Rng) -> String {
    let first17 = id_first17(rng);
    let mut s = String::from_utf8(first17.to_vec()).expect("ASCII");
    s.push(char::from(check_char(&first17)));
    s
}

/// A valid number whose check character is X, written with a lowercase x.
fn valid_id18_lower_x(rng: &mut Rng) -> String {
    loop {
        let first17 = id_first17(rng);
        if check_char(&first17) == b'X' {
            let mut s = String::from_utf8(first17.to_vec()).expect("ASCII");
            s.push('x');
            return s;
        }
    }
}

fn id15(rng: &mut Rng) -> String {
    let birth = rng.date(ymd(1930, 1, 1), 69 * 365);
    format!(
        "{}{:02}{:02}{:02}{:03}",
        rng.pick(&AREAS),
        birth.year() % 100,
        birth.month(),
        birth.day(),
        rng.below(1000)
    )
}

fn bad_check_id18(rng: &mut Rng) -> String {
    let first17 = id_first17(rng);
    let good = check_char(&first17);
    let wrong = *rng.pick(b"0123456789X");
    let wrong = if wrong == good {
        b'0' + (good % 10)
    } else {
        wrong
    };
    let wrong = if wrong == good { b'1' } else { wrong };
    let mut s = String::from_utf8(first17.to_vec()).expect("ASCII");
    s.push(char::from(wrong));
    s
}

/// 1024 ID numbers: 55 % valid 18-digit, 10 % lowercase x, 15 % 15-digit, 10 % bad check
/// character, 5 % full-width or padded, 5 % other defects (length, province, birth date, text).
fn id_batch() -> Vec<String> {
    let mut rng = Rng(0x1D);
    (0..BATCH)
        .map(|_| match rng.below(100) {
            0..55 => valid_id18(&mut rng),
            55..65 => valid_id18_lower_x(&mut rng),
            65..80 => id15(&mut rng),
            80..90 => bad_check_id18(&mut rng),
            90..93 => full_width(&valid_id18(&mut rng)),
            93..95 => format!(" {} ", valid_id18(&mut rng)),
            95 => {
                let s = valid_id18(&mut rng);
                s[..17].to_owned()
            }
            96 => format!("99{}", &valid_id18(&mut rng)[2..]),
            97 => {
                let s = valid_id18(&mut rng);
                format!("{}20301301{}", &s[..6], &s[14..])
            }
            98 => "未提供".to_owned(),
            _ => String::new(),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Dates and months

/// One date in a form of SPEC §3, or a defect.
fn date_text(rng: &mut Rng) -> String {
    let d = rng.date(ymd(2018, 1, 1), 9 * 365);
    let (y, m, dd) = (d.year(), d.month(), d.day());
    let (h, mi, s) = (rng.below(24), rng.below(60), rng.below(60));
    match rng.below(100) {
        0..35 => format!("{y:04}-{m:02}-{dd:02}"),
        35..40 => format!("{y}-{m}-{dd}"),
        40..47 => format!("{y}/{m}/{dd}"),
        47..52 => format!("{y:04}/{m:02}/{dd:02}"),
        52..60 => format!("{y:04}{m:02}{dd:02}"),
        60..66 => format!("{y}年{m}月{dd}日"),
        66..69 => format!("{y}年{m:02}月{dd:02}日"),
        69..75 => format!("{y:04}-{m:02}-{dd:02} {h:02}:{mi:02}:{s:02}"),
        75..78 => format!("{y:04}-{m:02}-{dd:02} {h}:{mi:02}"),
        78..81 => format!("{y:04}-{m:02}-{dd:02}T{h:02}:{mi:02}:{s:02}Z"),
        81..83 => format!(
            "{y:04}-{m:02}-{dd:02}T{h:02}:{mi:02}:{s:02}.{:03}+08:00",
            rng.below(1000)
        ),
        83..85 => format!("{y:04}-{m:02}-{dd:02} {h:02}:{mi:02}:{s:02}+0800"),
        85 => format!("{y:04}{m:02}{dd:02}T{h:02}:{mi:02}-05"),
        86 => format!("{y}/{m}/{dd} {h}:{mi:02}"),
        87 => format!("{y}年{m}月{dd}日 {h:02}:{mi:02}"),
        88 => format!(" {y:04}-{m:02}-{dd:02}\u{3000}"),
        // Defects: impossible dates, mixed separators, other orders, bad times, junk.
        89 => format!("{y:04}-02-30"),
        90 => format!("{y:04}-13-{dd:02}"),
        91 => format!("{y}-{m}/{dd}"),
        92 => format!("{dd:02}/{m:02}/{y:04}"),
        93 => format!("{y:04}-{m:02}-{dd:02} 25:00"),
        94 => format!("{y:04}-{m:02}-{dd:02} {h:02}:{mi:02}:{s:02}+8"),
        95 => format!("{y:04}{m:02}"),
        96 => "N/A".to_owned(),
        97 => "无".to_owned(),
        _ => String::new(),
    }
}

/// One month in a form of SPEC §3, or a defect.
fn month_text(rng: &mut Rng) -> String {
    let d = rng.date(ymd(2018, 1, 1), 9 * 365);
    let (y, m) = (d.year(), d.month());
    match rng.below(100) {
        0..40 => format!("{y:04}-{m:02}"),
        40..50 => format!("{y}-{m}"),
        50..60 => format!("{y}/{m}"),
        60..65 => format!("{y:04}/{m:02}"),
        65..80 => format!("{y:04}{m:02}"),
        80..88 => format!("{y}年{m}月"),
        88..90 => format!(" {y:04}-{m:02} "),
        // Defects: a month 13, a full date, a time, a bare year, junk.
        90..92 => format!("{y:04}-13"),
        92..94 => format!("{y:04}-{m:02}-01"),
        94 => format!("{y:04}-{m:02} 00:00"),
        95 => format!("{y}"),
        96 => format!("{m:02}/{y}"),
        97 => "N/A".to_owned(),
        _ => String::new(),
    }
}

/// Prints the batch's share of valid inputs, so the mix is visible next to the numbers.
fn report_mix(name: &str, total: usize, valid: usize) {
    eprintln!(
        "{name}: {total} inputs, {valid} valid ({:.0} %)",
        100.0 * valid as f64 / total as f64
    );
}

fn batch(seed: u64, make: fn(&mut Rng) -> String) -> Vec<String> {
    let mut rng = Rng(seed);
    (0..BATCH).map(|_| make(&mut rng)).collect()
}

// ---------------------------------------------------------------------------------------------
// Addresses

const STREETS: [&str; 8] = [
    "东海街道泉秀路88号",
    "陈埭镇江头村3组12号",
    "开元街道中山中路126号之3",
    "城东街道华大路6号华侨大学内",
    "安平镇滨海路1号",
    "凤城镇环城路A栋1203室",
    "梅石街道新华北路9号",
    "溪美街道柳城路31号",
];

const QUANZHOU_COUNTIES: [&str; 12] = [
    "鲤城区",
    "丰泽区",
    "洛江区",
    "泉港区",
    "惠安县",
    "安溪县",
    "永春县",
    "德化县",
    "金门县",
    "石狮市",
    "晋江市",
    "南安市",
];

/// One free-text address as the feeds write it.
fn address_text(rng: &mut Rng) -> String {
    let street = rng.pick(&STREETS);
    let county = rng.pick(&QUANZHOU_COUNTIES);
    match rng.below(100) {
        0..35 => format!("福建省泉州市{county}{street}"),
        35..50 => format!("泉州市{county}{street}"),
        50..62 => format!("{county}{street}"),
        62..67 => format!("福建省 泉州市 {county} {street}"),
        67..70 => full_width(&format!("泉州市{county}{street}")).replace(' ', "\u{3000}"),
        70..75 => format!("泉州市{street}"),
        // Other cities of the gazetteer (their districts are not in it: city level).
        75..82 => format!(
            "福建省{}{street}",
            rng.pick(&[
                "福州市鼓楼区",
                "厦门市思明区",
                "漳州市芗城区",
                "莆田市城厢区"
            ])
        ),
        // Ambiguous: another city's name with a Quanzhou county, or two counties' cities.
        82..86 => format!("厦门市{county}{street}"),
        86..88 => format!("福州市泉州市{street}"),
        // Unresolved: outside the gazetteer or short names.
        88..94 => format!(
            "{}{street}",
            rng.pick(&[
                "广东省深圳市南山区",
                "湖南省长沙市芙蓉区",
                "北京市朝阳区",
                "上海市浦东新区"
            ])
        ),
        94..98 => format!("泉州丰泽{street}"),
        _ => String::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// Phones

fn phone_text(rng: &mut Rng) -> String {
    let prefix = rng.pick(&["138", "139", "150", "159", "186", "177", "199", "135"]);
    let (a, b) = (rng.below(10_000), rng.below(10_000));
    let area = rng.pick(&["0595", "0592", "0591", "020", "010"]);
    let local = 20_000_000 + rng.below(70_000_000);
    match rng.below(100) {
        0..45 => format!("{prefix}{a:04}{b:04}"),
        45..52 => format!("{prefix}-{a:04}-{b:04}"),
        52..57 => format!("{prefix} {a:04} {b:04}"),
        57..62 => format!("+86 {prefix}{a:04}{b:04}"),
        62..65 => format!("86{prefix}{a:04}{b:04}"),
        65..75 => format!("{area}-{local}"),
        75..80 => format!("({area}){local}"),
        80..83 => format!("{area}{local}"),
        83..85 => full_width(&format!("{prefix}{a:04}{b:04}")),
        85..87 => format!("（{area}）{local}"),
        // Defects: too short or long, wrong prefix, letters, a stray plus, empty.
        87..90 => format!("{prefix}{a:04}{}", b % 1000),
        90..92 => format!("{prefix}{a:04}{b:04}9"),
        92..94 => format!("12{a:04}{b:05}"),
        94 => format!("{prefix}{a:04}ABCD"),
        95 => format!("+{prefix}{a:04}{b:04}"),
        96 => format!("{local}"),
        97 => "无".to_owned(),
        _ => String::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// Spells

/// About 80 evidence intervals of one person over three years, sorted by (start, end):
/// monthly insurance contributions with a short break, monthly electricity and two-monthly
/// water bills, two one-year leases and a few one-day events (deliveries, registrations).
/// Three persons in ten were away for 3–6 months (no evidence at all then), so they have
/// two spells.
fn person_intervals(rng: &mut Rng) -> Vec<Interval> {
    let mut v = Vec::with_capacity(96);
    let base = rng.date(ymd(2023, 1, 1), 300);
    let month_start = |k: u32| {
        let total = base.year() * 12 + base.month0() as i32 + k as i32;
        ymd(total.div_euclid(12), total.rem_euclid(12) as u32 + 1, 1)
    };
    let month_end = |k: u32| month_start(k + 1) - Days::days(1);
    let months_iv = |from: u32, n: u32| Interval {
        start: month_start(from),
        end: month_end(from + n - 1),
    };
    // Insurance: 36 months, with a break of 2–4 months somewhere in the middle.
    let gap_at = 10 + rng.below(15) as u32;
    let gap_len = 2 + rng.below(3) as u32;
    for k in (0..36).filter(|k| !(gap_at..gap_at + gap_len).contains(k)) {
        v.push(months_iv(k, 1));
    }
    // Electricity bills: most of 24 billing months.
    for k in 6..30 {
        if rng.below(10) != 0 {
            v.push(months_iv(k, 1));
        }
    }
    // Water bills: every two months for 16 months.
    for k in (12..28).step_by(2) {
        v.push(months_iv(k, 2));
    }
    // Two one-year leases.
    for k in [2u32, 14] {
        let s = month_start(k) + Days::days(rng.below(20) as i64);
        v.push(Interval {
            start: s,
            end: s + Days::days(364),
        });
    }
    // One-day events.
    for _ in 0..(12 + rng.below(9)) {
        let d = rng.date(base, 3 * 365);
        v.push(Interval { start: d, end: d });
    }
    // An absence: nothing that touches it.
    if rng.below(10) < 3 {
        let from = month_start(8 + rng.below(20) as u32);
        let to = from + Days::days(90 + rng.below(90) as i64);
        v.retain(|iv| iv.end < from || iv.start > to);
    }
    v.sort_unstable();
    v
}

/// What the timeline stage does per (person, city): merge, then count months of every spell.
fn spells_and_months(intervals: &[Interval], merged: &mut Vec<Spell>) -> u32 {
    merge_spells(intervals, 31, merged);
    merged.iter().map(|s| months(s.start, s.end)).sum()
}

// ---------------------------------------------------------------------------------------------

/// The gazetteer of the sample data, as the pipeline loads it.
fn sample_gazetteer() -> Gazetteer {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/divisions.csv");
    load_gazetteer(&path).expect("sample-data/divisions.csv loads")
}

/// Benchmarks `valid` over every input of `inputs` as `name` in group `g` (throughput in
/// inputs), after printing the batch's share of valid inputs under `label`.
fn bench_batch(
    g: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    label: &str,
    inputs: &[String],
    valid: impl Fn(&str) -> bool,
) {
    let n = inputs.iter().filter(|s| valid(s)).count();
    report_mix(label, inputs.len(), n);
    g.throughput(Throughput::Elements(inputs.len() as u64));
    g.bench_function(name, |b| {
        b.iter(|| {
            inputs
                .iter()
                .map(|s| u32::from(valid(black_box(s))))
                .sum::<u32>()
        })
    });
}

fn bench_id(c: &mut Criterion) {
    let as_of = as_of();
    let mut g = c.benchmark_group("parse_id_number");
    bench_batch(&mut g, "mixed_1024", "parse_id_number", &id_batch(), |s| {
        parse_id_number(s, as_of).is_ok()
    });
    g.finish();
}

fn bench_dates(c: &mut Criterion) {
    let mut g = c.benchmark_group("date");
    bench_batch(
        &mut g,
        "parse_date/mixed_1024",
        "parse_date",
        &batch(0xDA7E, date_text),
        |s| parse_date(s).is_some(),
    );
    bench_batch(
        &mut g,
        "parse_month/mixed_1024",
        "parse_month",
        &batch(0x3017, month_text),
        |s| parse_month(s).is_some(),
    );
    g.finish();
}

fn bench_address(c: &mut Criterion) {
    let gazetteer = sample_gazetteer();
    let mut g = c.benchmark_group("gazetteer");
    bench_batch(
        &mut g,
        "resolve/mixed_1024",
        "Gazetteer::resolve",
        &batch(0xADD2, address_text),
        |s| gazetteer.resolve(s).is_ok(),
    );
    g.finish();
}

fn bench_phone(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse_phone");
    bench_batch(
        &mut g,
        "mixed_1024",
        "parse_phone",
        &batch(0xF0E, phone_text),
        |s| parse_phone(s).is_some(),
    );
    g.finish();
}

fn bench_spells(c: &mut Criterion) {
    let mut rng = Rng(0x5BE1);
    let one = person_intervals(&mut rng);
    let many: Vec<Vec<Interval>> = (0..10_000).map(|_| person_intervals(&mut rng)).collect();
    let many_total: usize = many.iter().map(Vec::len).sum();
    let mut merged = Vec::new();
    merge_spells(&one, 31, &mut merged);
    let one_spells = merged.len();
    let many_spells: usize = many
        .iter()
        .map(|ivs| {
            merge_spells(ivs, 31, &mut merged);
            merged.len()
        })
        .sum();
    eprintln!(
        "merge_spells+months: one person: {} intervals, {one_spells} spells; \
         10k persons: {many_total} intervals, {many_spells} spells",
        one.len()
    );

    let mut g = c.benchmark_group("merge_spells+months");
    g.throughput(Throughput::Elements(one.len() as u64));
    g.bench_with_input(
        BenchmarkId::new("one_person", format!("{}_intervals", one.len())),
        &one,
        |b, ivs| b.iter(|| spells_and_months(black_box(ivs), &mut merged)),
    );
    g.throughput(Throughput::Elements(many_total as u64));
    g.bench_with_input(
        BenchmarkId::new("10k_persons", format!("{many_total}_intervals")),
        &many,
        |b, people| {
            b.iter(|| {
                people
                    .iter()
                    .map(|ivs| spells_and_months(black_box(ivs), &mut merged))
                    .sum::<u32>()
            })
        },
    );
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// Agency forms (issue 14): quoted records, Chinese dates and time stamps, addresses without a
// division code, as `residence generate --profile agency` writes them.

/// Records per reader batch.
const RECORDS: usize = 4096;

/// A telecom file as one agency sends it: every field quoted, time stamps, CRLF; or the same
/// records plain (no quote anywhere), the reader's fast path.
fn telecom_file(quoted: bool) -> Vec<u8> {
    let mut rng = Rng(0x7E1E);
    let mut out = b"record_id,id_number,phone,service,division,address,start,end\r\n".to_vec();
    for i in 0..RECORDS {
        let id = valid_id18(&mut rng);
        let d = rng.date(ymd(2016, 1, 1), 3000);
        let end = d + Days::days(rng.below(900) as i64);
        let (h, m, s) = (rng.below(24), rng.below(60), rng.below(60));
        let fields = [
            format!("TEL-{i:08}"),
            id,
            format!("1{}", 3_000_000_000 + rng.below(999_999_999)),
            rng.pick(&["fixed_line", "broadband"]).to_string(),
            String::new(),
            format!(
                "泉州市{}{}",
                rng.pick(&QUANZHOU_COUNTIES),
                rng.pick(&STREETS)
            ),
            format!("{} {h:02}:{m:02}:{s:02}", d.format("%Y-%m-%d")),
            format!("{} {h:02}:{m:02}:{s:02}", end.format("%Y-%m-%d")),
        ];
        let line: Vec<String> = if quoted {
            fields.iter().map(|f| format!("\"{f}\"")).collect()
        } else {
            fields.to_vec()
        };
        out.extend_from_slice(line.join(",").as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn read_all(bytes: &[u8]) -> usize {
    let mut reader = RecordReader::new(bytes, Encoding::Utf8);
    reader.read_header().expect("in memory").expect("a header");
    let mut fields = 0;
    while let Some(rec) = reader.next_record().expect("in memory") {
        fields += rec.len();
    }
    fields
}

/// A date as the agency night writes it: Chinese forms, time stamps and zones.
fn agency_date_text(rng: &mut Rng) -> String {
    let d = rng.date(ymd(2018, 1, 1), 9 * 365);
    let (y, m, dd) = (d.year(), d.month(), d.day());
    let (h, mi, s) = (rng.below(24), rng.below(60), rng.below(60));
    match rng.below(6) {
        0 => format!("{y}年{m}月{dd}日"),
        1 => format!("{y}年{m:02}月{dd:02}日"),
        2 => format!("{y:04}-{m:02}-{dd:02} {h:02}:{mi:02}:{s:02}"),
        3 => format!("{y:04}-{m:02}-{dd:02}T{h:02}:{mi:02}:{s:02}+08:00"),
        4 => format!("{y}/{m}/{dd}"),
        _ => format!("{y:04}{m:02}{dd:02}"),
    }
}

/// A shopping order's free-text address with no division code: mostly Quanzhou, a fifth in
/// another Fujian city, some without the province or city.
fn delivery_address(rng: &mut Rng) -> String {
    let street = rng.pick(&STREETS);
    let county = rng.pick(&QUANZHOU_COUNTIES);
    match rng.below(10) {
        0..4 => format!("福建省泉州市{county}{street}"),
        4..6 => format!("泉州市{county}{street}"),
        6..8 => format!("{county}{street}"),
        _ => format!(
            "福建省{}{street}",
            rng.pick(&[
                "福州市鼓楼区",
                "厦门市思明区",
                "漳州市芗城区",
                "莆田市城厢区"
            ])
        ),
    }
}

fn bench_agency(c: &mut Criterion) {
    let mut g = c.benchmark_group("agency");
    for (name, quoted) in [("read/plain_4096", false), ("read/quoted_4096", true)] {
        let file = telecom_file(quoted);
        g.throughput(Throughput::Elements(RECORDS as u64));
        g.bench_function(name, |b| b.iter(|| read_all(black_box(&file))));
    }
    bench_batch(
        &mut g,
        "parse_date/chinese_and_timestamps_1024",
        "agency parse_date",
        &batch(0xC4DA, agency_date_text),
        |s| parse_date(s).is_some(),
    );
    let gazetteer = sample_gazetteer();
    bench_batch(
        &mut g,
        "resolve/no_division_1024",
        "agency Gazetteer::resolve",
        &batch(0xDE1A, delivery_address),
        |s| gazetteer.resolve(s).is_ok(),
    );
    g.finish();
}

criterion_group! {
    name = kernels;
    config = Criterion::default()
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500))
        .sample_size(30);
    targets = bench_id, bench_dates, bench_address, bench_phone, bench_spells, bench_agency
}
criterion_main!(kernels);
