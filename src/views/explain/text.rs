//! `residence explain`'s text: labels in Chinese and English, one line of
//! month cells, aligned for a terminal (a CJK character takes two columns).

use std::fmt::Write as _;

use super::model::{Explanation, RowView, basis_words, status_words};
use crate::pipeline::SourceKind;

/// Columns a string takes in a terminal: two for CJK and full-width
/// characters, one for the rest.
fn width(s: &str) -> usize {
    s.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F
            | 0x2E80..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}

/// `s` padded with spaces to `columns` terminal columns.
fn pad(s: &str, columns: usize) -> String {
    format!("{s}{}", " ".repeat(columns.saturating_sub(width(s))))
}

/// Label column of the text view.
const LABEL: usize = 28;

fn label(zh: &str, en: &str) -> String {
    pad(&format!("{zh} {en}"), LABEL)
}

fn source_letters(sources: &[String]) -> String {
    sources
        .iter()
        .filter_map(|s| SourceKind::from_name(s))
        .map(SourceKind::letter)
        .collect()
}

/// The text view of a person's explanations (one per city).
pub(super) fn render(typed: &str, views: &[Explanation]) -> String {
    let mut out = String::new();
    let first = &views[0];
    let _ = writeln!(
        out,
        "residence explain · run {} · 判定日期 as of {}",
        first.run_id, first.as_of
    );
    if typed == first.person_id {
        let _ = writeln!(out, "{}{}", label("身份证号", "ID number"), typed);
    } else {
        let _ = writeln!(
            out,
            "{}{} (18-character form 十八位 {})",
            label("身份证号", "ID number"),
            typed,
            first.person_id
        );
    }
    for v in views {
        out.push('\n');
        city(&mut out, v);
    }
    rows(&mut out, "未计入 filtered rows", &first.filtered);
    rows(&mut out, "被拒 rejected rows", &first.rejected);
    out
}

fn city(out: &mut String, v: &Explanation) {
    let _ = writeln!(
        out,
        "{}{}",
        label("城市", "city"),
        v.city
            .as_deref()
            .unwrap_or("— (no city decided for 无判定城市)")
    );
    match (&v.status, &v.basis) {
        (Some(status), Some(basis)) => {
            let _ = writeln!(
                out,
                "{}{status} {} · basis 依据 {basis} {}",
                label("决定", "decision"),
                status_words(status),
                basis_words(basis)
            );
        }
        _ => {
            let _ = writeln!(
                out,
                "{}none: no accepted evidence or counting pledge 无已计入证据或有效承诺",
                label("决定", "decision")
            );
        }
    }
    if let Some(d) = &v.eligible_since {
        let _ = writeln!(out, "{}{d}", label("符合条件起", "eligible since"));
    }
    if let Some(d) = &v.eligible_on {
        let _ = writeln!(
            out,
            "{}{d} (if the evidence goes on 如证据持续)",
            label("预计符合", "eligible on")
        );
    }
    if let Some(d) = &v.pledge_since {
        let _ = writeln!(
            out,
            "{}declared since 声明居住起 {d}",
            label("承诺", "pledge")
        );
    }
    if let Some(s) = &v.last_spell {
        let _ = writeln!(
            out,
            "{}{} – {} · {} months 个月 · {} days covered 覆盖天数 · {} by strong sources 强证据天数 · {} rows 条",
            label("最后时段", "last spell"),
            s.start,
            s.end,
            s.months,
            s.covered_days,
            v.strong_days,
            s.evidence_count
        );
    }
    missing(out, v);
    grid(out, v);
    if !v.spells.is_empty() {
        let _ = writeln!(out, "时段 spells");
        for s in &v.spells {
            let _ = writeln!(
                out,
                "  {:>2}  {} – {}  {:>2} months  {:>4} days  {:>3} rows  {}",
                s.spell_no,
                s.start,
                s.end,
                s.months,
                s.covered_days,
                s.evidence_count,
                s.sources.join(", ")
            );
        }
    }
    if !v.evidence.is_empty() {
        let _ = writeln!(out, "证据 evidence");
        for e in &v.evidence {
            let _ = writeln!(
                out,
                "  {} – {}  {:<17} {:<20} {}  {}:{}",
                e.start, e.end, e.source, e.record_id, e.division, e.input_file, e.line
            );
        }
    }
}

fn missing(out: &mut String, v: &Explanation) {
    let m = &v.missing;
    if v.months_needed > 0 {
        let _ = writeln!(
            out,
            "{}{} more month(s) of evidence 还需 {} 个月证据",
            label("缺少", "missing"),
            v.months_needed,
            v.months_needed
        );
    }
    if let Some(ended) = &m.evidence_ended {
        let _ = writeln!(
            out,
            "{}evidence ended 证据止于 {ended}; evidence starting by {} continues that spell 在此日前开始的新证据可接续原时段; new evidence counts from 新证据计入自 {}",
            label("缺少", "missing"),
            m.continues_spell_until.as_deref().unwrap_or(""),
            m.new_evidence_counts_from.as_deref().unwrap_or("")
        );
    }
    if !m.uncovered_months.is_empty() {
        let _ = writeln!(
            out,
            "{}{}",
            label("无证据月份", "months uncovered"),
            m.uncovered_months.join(" ")
        );
    }
}

/// Two header lines (years, months) and one line of cells, four columns
/// each: the letters of the sources that touch the month, or `·`.
fn grid(out: &mut String, v: &Explanation) {
    const CELL: usize = 4;
    let mut years = label("", "");
    let mut months = label("月份", "month");
    let mut cells = label("来源", "sources");
    for (i, m) in v.months.iter().enumerate() {
        let (year, month) = m.month.split_at(4);
        // The year over each January, and over the first month unless a
        // January follows at once (the two would touch).
        let next_is_january = v
            .months
            .get(i + 1)
            .is_some_and(|n| n.month.ends_with("-01"));
        let marked = month == "-01" || (i == 0 && !next_is_january);
        years.push_str(&pad(if marked { year } else { "" }, CELL));
        months.push_str(&pad(&month[1..], CELL));
        let letters = source_letters(&m.sources);
        let cell = match letters.len() {
            0 => "·".to_owned(),
            1..=3 => letters,
            _ => format!("{}+", &letters[..2]),
        };
        cells.push_str(&pad(&cell, CELL));
    }
    for line in [years, months, cells] {
        let _ = writeln!(out, "{}", line.trim_end());
    }
    let used: std::collections::BTreeSet<&str> = v
        .months
        .iter()
        .flat_map(|m| m.sources.iter().map(String::as_str))
        .collect();
    if !used.is_empty() {
        let legend: Vec<String> = used
            .iter()
            .filter_map(|s| SourceKind::from_name(s))
            .map(|s| format!("{} {} {}", s.letter(), s.chinese(), s.name()))
            .collect();
        let _ = writeln!(out, "{}{}", label("", ""), legend.join(" · "));
    }
}

fn rows(out: &mut String, title: &str, rows: &[RowView]) {
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{title}");
    for r in rows {
        let dates = match (&r.start, &r.end) {
            (Some(s), Some(e)) => format!("  {s} – {e}"),
            (Some(s), None) => format!("  {s} –"),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "  {}:{}  {}  {}{}",
            r.input_file,
            r.line,
            r.reason,
            r.record_id.as_deref().unwrap_or(""),
            dates
        );
        let _ = writeln!(out, "      {} · {}", r.reason_words, r.reason_words_zh);
        if let Some(d) = &r.detail {
            let _ = writeln!(out, "      {d}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_takes_two_columns() {
        assert_eq!(width("abc"), 3);
        assert_eq!(width("月份 month"), 10);
        assert_eq!(width("（１）"), 6);
        assert_eq!(pad("证据", 6), "证据  ");
    }
}
