//! What `residence explain` shows of one (person, city): decision, spells,
//! evidence, a 24-month grid, what is missing and the rows that did not count.

use std::collections::BTreeSet;

use chrono::{Datelike, Months, NaiveDate};
use polars::prelude::*;
use serde::Serialize;

use super::columns::{day, ints, lists, strs};
use super::gather::Found;
use crate::pipeline::SourceKind;
use crate::rules::decision::{Basis, Status};
use crate::rules::reason::Reason;
use crate::views::Run;

/// One (person, city), as the JSON shows it (SPEC §9's keys first).
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct Explanation {
    /// The canonical 18-character ID number.
    pub person_id: String,
    /// The city (`XXXX00`); `None` when the person has only filtered or rejected rows.
    pub city: Option<String>,
    /// The run's decision date, `YYYY-MM-DD`.
    pub as_of: String,
    /// The run explained.
    pub run_id: String,
    /// `eligible`, `pending`, `inactive` or `not_applicable`; `None` without a decision.
    pub status: Option<String>,
    /// `evidence`, `pledge` or `none`; `None` without a decision.
    pub basis: Option<String>,
    /// `eligible`: the day the six months were complete.
    pub eligible_since: Option<String>,
    /// `pending`: the day it would be eligible if evidence goes on.
    pub eligible_on: Option<String>,
    /// The counting pledge's `declared_since`, when one counts.
    pub pledge_since: Option<String>,
    /// Whole months of the last spell; 0 without a decision.
    pub months_of_evidence: u32,
    /// `pending`: whole months still needed; else 0.
    pub months_needed: u32,
    /// Every spell in the city, earliest first.
    pub spells: Vec<SpellView>,
    /// Every evidence row in the city.
    pub evidence: Vec<EvidenceView>,
    /// The 24 months up to the as-of date's, oldest first.
    pub months: Vec<MonthView>,
    /// The person's filtered rows (every city), by source, file and line.
    pub filtered: Vec<RowView>,
    /// The person's rejected rows, by source, file and line.
    pub rejected: Vec<RowView>,
    /// The last spell (S), when there is one.
    pub last_spell: Option<SpellView>,
    /// Days of the last spell covered by a strong source (SPEC §7); 0 without a decision.
    pub strong_days: u32,
    /// What the decision is waiting for.
    pub missing: Missing,
}

/// One spell, as `explain` shows it.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct SpellView {
    /// 1 = earliest.
    pub spell_no: u32,
    /// First day, `YYYY-MM-DD`.
    pub start: String,
    /// Last day, `YYYY-MM-DD`.
    pub end: String,
    /// Whole months (SPEC §6).
    pub months: u32,
    /// Days inside the union of its intervals.
    pub covered_days: u32,
    /// Evidence intervals merged into it.
    pub evidence_count: u32,
    /// Sorted distinct source names of its evidence.
    pub sources: Vec<String>,
}

/// One evidence row, as `explain` shows it.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct EvidenceView {
    /// The feed's name.
    pub source: String,
    /// The record id (`order_id` for shopping).
    pub record_id: String,
    /// The division as given, or resolved from the address.
    pub division: String,
    /// First day, `YYYY-MM-DD`.
    pub start: String,
    /// Last day, clipped to as-of, `YYYY-MM-DD`.
    pub end: String,
    /// The input file, relative to the data root.
    pub input_file: String,
    /// 1-based line of the record's first line in that file.
    pub line: i64,
}

/// One month of the 24-month grid.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct MonthView {
    /// `YYYY-MM`.
    pub month: String,
    /// An evidence interval of the city touches the month.
    pub covered: bool,
    /// The sources of those intervals, sorted.
    pub sources: Vec<String>,
}

/// A filtered or rejected row of the person.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct RowView {
    /// The feed's name.
    pub source: String,
    /// The input file, relative to the data root.
    pub input_file: String,
    /// 1-based line of the record's first line in that file.
    pub line: i64,
    /// The reason's code (`not_filed`).
    pub reason: String,
    /// The reason in words, English then Chinese.
    pub reason_words: String,
    /// The reason in Chinese.
    pub reason_words_zh: String,
    /// The record id; `None` for rejected rows and rows without one.
    pub record_id: Option<String>,
    /// Filtered rows: the interval's start, when parsed.
    pub start: Option<String>,
    /// Filtered rows: the interval's end, when parsed.
    pub end: Option<String>,
    /// Filtered rows: the city, when known.
    pub city: Option<String>,
    /// Rejected rows: what was wrong.
    pub detail: Option<String>,
}

/// What the decision is waiting for.
#[derive(Serialize, Debug, Clone, Default, PartialEq)]
pub struct Missing {
    /// Months of the 24-month window after the first covered one that no
    /// evidence covers.
    pub uncovered_months: Vec<String>,
    /// `inactive`: the day the last evidence ended.
    pub evidence_ended: Option<String>,
    /// `inactive`: evidence starting by this day would continue the old
    /// spell (its end + max_gap_days + 1); later, it starts a new one.
    pub continues_spell_until: Option<String>,
    /// `inactive`: new evidence counts from the day after the old ended.
    pub new_evidence_counts_from: Option<String>,
}

/// The rule parameters explain needs, from the run's manifest.
#[derive(Clone, Copy, Debug)]
pub(super) struct Params {
    min_months: u32,
    max_gap_days: u32,
}

pub(super) fn params(run: &Run) -> Params {
    let text = std::fs::read_to_string(run.dir.join("manifest.json")).unwrap_or_default();
    let m: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let get = |k: &str, d: u32| {
        m["parameters"][k]
            .as_u64()
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(d)
    };
    Params {
        min_months: get("min_months", 6),
        max_gap_days: get("max_gap_days", 31),
    }
}

/// The rows of `df` in `city` (all when `None`).
fn in_city(df: &DataFrame, city: Option<&str>) -> Vec<usize> {
    let cities = strs(df, "city");
    (0..df.height())
        .filter(|&i| city.is_none_or(|c| cities[i].as_deref() == Some(c)))
        .collect()
}

pub(super) fn explanation(
    run: &Run,
    id: &str,
    city: Option<&str>,
    found: &Found,
    p: Params,
) -> Explanation {
    let as_of = run.as_of;
    // The decision.
    let e = &found.eligibility;
    let row = in_city(e, city).first().copied();
    let get = |name: &str| row.and_then(|i| strs(e, name)[i].clone());
    let num = |name: &str| row.map_or(0, |i| ints(e, name)[i]) as u32;
    let status = get("status");
    let months_of_evidence = num("months_of_evidence");

    // Spells and evidence in this city.
    let s = &found.spells;
    let (sources, spell_starts, spell_ends) =
        (lists(s, "sources"), strs(s, "start"), strs(s, "end"));
    let (no, months, covered, count) = (
        ints(s, "spell_no"),
        ints(s, "months"),
        ints(s, "covered_days"),
        ints(s, "evidence_count"),
    );
    let mut spells: Vec<SpellView> = in_city(s, city)
        .into_iter()
        .map(|i| SpellView {
            spell_no: no[i] as u32,
            start: spell_starts[i].clone().unwrap_or_default(),
            end: spell_ends[i].clone().unwrap_or_default(),
            months: months[i] as u32,
            covered_days: covered[i] as u32,
            evidence_count: count[i] as u32,
            sources: sources[i].clone(),
        })
        .collect();
    spells.sort_by_key(|s| s.spell_no);
    let v = &found.evidence;
    let (source, record, division, start, end, file) = (
        strs(v, "source"),
        strs(v, "record_id"),
        strs(v, "division"),
        strs(v, "start"),
        strs(v, "end"),
        strs(v, "input_file"),
    );
    let line = ints(v, "line");
    let evidence: Vec<EvidenceView> = in_city(v, city)
        .into_iter()
        .map(|i| EvidenceView {
            source: source[i].clone().unwrap_or_default(),
            record_id: record[i].clone().unwrap_or_default(),
            division: division[i].clone().unwrap_or_default(),
            start: start[i].clone().unwrap_or_default(),
            end: end[i].clone().unwrap_or_default(),
            input_file: file[i].clone().unwrap_or_default(),
            line: line[i],
        })
        .collect();

    let grid = month_grid(as_of, &evidence);
    let last_spell = spells.last().cloned();
    let missing = missing(status.as_deref(), &grid, last_spell.as_ref(), p);
    let months_needed = if status.as_deref() == Some(Status::Pending.as_str()) {
        p.min_months.saturating_sub(months_of_evidence)
    } else {
        0
    };
    Explanation {
        person_id: id.to_owned(),
        city: city.map(str::to_owned),
        as_of: as_of.to_string(),
        run_id: run.run_id.clone(),
        status,
        basis: get("basis"),
        eligible_since: get("eligible_since"),
        eligible_on: get("eligible_on"),
        pledge_since: get("pledge_since"),
        months_of_evidence,
        months_needed,
        spells,
        evidence,
        months: grid,
        filtered: row_views(&found.filtered, as_of, false),
        rejected: row_views(&found.rejects, as_of, true),
        last_spell,
        strong_days: num("strong_days"),
        missing,
    }
}

/// The 24 months up to the as-of date's, each with the sources of the
/// evidence intervals that touch it.
fn month_grid(as_of: NaiveDate, evidence: &[EvidenceView]) -> Vec<MonthView> {
    let last = as_of.with_day(1).unwrap_or(as_of);
    (0..24u32)
        .rev()
        .map(|back| {
            let first = last - Months::new(back);
            let end = (first + Months::new(1)).pred_opt().unwrap_or(first);
            let mut sources: Vec<String> = evidence
                .iter()
                .filter(|e| {
                    day(&e.start).is_some_and(|s| s <= end)
                        && day(&e.end).is_some_and(|d| d >= first)
                })
                .map(|e| e.source.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            sources.sort();
            MonthView {
                month: format!("{:04}-{:02}", first.year(), first.month()),
                covered: !sources.is_empty(),
                sources,
            }
        })
        .collect()
}

fn missing(
    status: Option<&str>,
    grid: &[MonthView],
    last: Option<&SpellView>,
    p: Params,
) -> Missing {
    let first_covered = grid.iter().position(|m| m.covered);
    let uncovered_months = match first_covered {
        Some(f) => grid[f..]
            .iter()
            .filter(|m| !m.covered)
            .map(|m| m.month.clone())
            .collect(),
        None => Vec::new(),
    };
    let mut m = Missing {
        uncovered_months,
        ..Missing::default()
    };
    if status == Some(Status::Inactive.as_str())
        && let Some(end) = last.and_then(|s| day(&s.end))
    {
        m.evidence_ended = Some(end.to_string());
        m.continues_spell_until = end
            .checked_add_days(chrono::Days::new(u64::from(p.max_gap_days) + 1))
            .map(|d| d.to_string());
        m.new_evidence_counts_from = end.succ_opt().map(|d| d.to_string());
    }
    m
}

fn row_views(df: &DataFrame, as_of: NaiveDate, rejected: bool) -> Vec<RowView> {
    let (source, file, reason, record, start, end, city, detail) = (
        strs(df, "source"),
        strs(df, "input_file"),
        strs(df, "reason"),
        strs(df, "record_id"),
        strs(df, "start"),
        strs(df, "end"),
        strs(df, "city"),
        strs(df, "detail"),
    );
    let line = ints(df, "line");
    let mut rows: Vec<RowView> = (0..df.height())
        .map(|i| {
            let code = reason[i].clone().unwrap_or_default();
            let r = Reason::from_code(&code);
            let (mut en, zh) = r.map_or(("", ""), Reason::words);
            // A lease that started in time but was filed after the as-of
            // date: say so, it is the usual question.
            let filed_late = r == Some(Reason::AfterAsOf)
                && source[i].as_deref() == Some(SourceKind::Lease.name())
                && start[i]
                    .as_deref()
                    .and_then(day)
                    .is_some_and(|s| s <= as_of);
            let zh = if filed_late {
                en = "registered (filed) after the as-of date; it counts once filed";
                "判定日之后才登记备案，备案后计入"
            } else {
                zh
            };
            RowView {
                source: source[i].clone().unwrap_or_default(),
                input_file: file[i].clone().unwrap_or_default(),
                line: line[i],
                reason: code,
                reason_words: en.to_owned(),
                reason_words_zh: zh.to_owned(),
                record_id: record[i].clone(),
                start: start[i].clone(),
                end: end[i].clone(),
                city: city[i].clone(),
                detail: if rejected { detail[i].clone() } else { None },
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        (&a.source, &a.input_file, a.line).cmp(&(&b.source, &b.input_file, b.line))
    });
    rows
}

/// The Chinese words of a status and basis, for the text view.
pub(super) fn status_words(status: &str) -> &'static str {
    Status::from_name(status).map_or("", Status::chinese)
}

pub(super) fn basis_words(basis: &str) -> &'static str {
    Basis::from_name(basis).map_or("", Basis::chinese)
}
