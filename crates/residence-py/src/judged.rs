//! The judged-row batch: one row per input record, what the core decided of
//! it and what the later steps need (SPEC §5). Every stage of the Spark job
//! passes rows of this one schema, so a row keeps its facts from the file
//! to `evidence`, `filtered` or `rejects`.

use polars_arrow::array::PrimitiveArray;
use polars_arrow::array::StaticArray;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use residence_core::rules::division::Division;
use residence_core::rules::id::PersonId;
use residence_core::rules::phone::{Phone, parse_phone};
use residence_core::rules::reason::Reason;

use crate::arrow::{BatchBuilder, Imported, Kind, Schema, TextColumn};

/// What a row is, as the `outcome` column codes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i8)]
pub enum Outcome {
    /// Accepted evidence.
    Evidence = 0,
    /// An accepted pledge (`start` = declared_since, `end` = signed_date).
    Pledge = 1,
    /// An accepted hukou row (`city` = the registration's city).
    Hukou = 2,
    /// Filtered, with `reason`.
    Filtered = 3,
    /// Rejected, with `reason`, `detail` and `raw`.
    Rejected = 4,
    /// A shopping row waiting for its buyer (step 6).
    Awaiting = 5,
}

impl Outcome {
    fn from_code(c: i8) -> PyResult<Outcome> {
        Ok(match c {
            0 => Outcome::Evidence,
            1 => Outcome::Pledge,
            2 => Outcome::Hukou,
            3 => Outcome::Filtered,
            4 => Outcome::Rejected,
            5 => Outcome::Awaiting,
            _ => return Err(PyValueError::new_err(format!("unknown outcome {c}"))),
        })
    }
}

/// The columns of a judged-row batch, in order.
pub const JUDGED: Schema = &[
    ("file_no", Kind::I32, false),
    ("line", Kind::I32, false),
    ("key_hi", Kind::I64, true),
    ("key_lo", Kind::I64, true),
    ("outcome", Kind::I8, false),
    ("reason", Kind::Str, true),
    ("person", Kind::Str, true),
    ("city", Kind::Str, true),
    ("division", Kind::Str, true),
    ("record_id", Kind::Str, true),
    ("start", Kind::Date, true),
    ("end", Kind::Date, true),
    ("detail", Kind::Str, true),
    ("raw", Kind::Str, true),
    ("phone", Kind::Str, true),
    ("owner_start", Kind::Date, true),
    ("owner_end", Kind::Date, true),
];

/// One judged row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// Index of the input file in the night's file order.
    pub file_no: i32,
    /// 1-based line the record starts on.
    pub line: i32,
    /// The supersession key (two halves of the 128-bit key), if any.
    pub key: Option<(i64, i64)>,
    /// What the row is.
    pub outcome: Outcome,
    /// Filtered or rejected: why.
    pub reason: Option<Reason>,
    /// The row's person, when known.
    pub person: Option<PersonId>,
    /// The row's city, when known.
    pub city: Option<Division>,
    /// Evidence and awaiting rows: the division.
    pub division: Option<Division>,
    /// The record id as outputs show it.
    pub record_id: Option<String>,
    /// Days since 1970-01-01.
    pub start: Option<i32>,
    /// Days since 1970-01-01.
    pub end: Option<i32>,
    /// Rejected: what was wrong.
    pub detail: Option<String>,
    /// Rejected and awaiting: the record's text.
    pub raw: Option<String>,
    /// Awaiting: the delivery's phone; telecom rows past steps 1–4: the
    /// phone the subscriber owns.
    pub phone: Option<Phone>,
    /// Telecom rows past steps 1–4: the ownership's first day.
    pub owner_start: Option<i32>,
    /// Telecom rows past steps 1–4: its last day (open: the as-of).
    pub owner_end: Option<i32>,
}

impl Row {
    /// A row of `file_no` at `line` that is `outcome`, with nothing else known.
    pub fn new(file_no: i32, line: i32, outcome: Outcome) -> Self {
        Row {
            file_no,
            line,
            key: None,
            outcome,
            reason: None,
            person: None,
            city: None,
            division: None,
            record_id: None,
            start: None,
            end: None,
            detail: None,
            raw: None,
            phone: None,
            owner_start: None,
            owner_end: None,
        }
    }

    /// Appends the row to a [`JUDGED`] batch.
    pub fn push(&self, b: &mut BatchBuilder) {
        let person = self.person.map(PersonId::canonical);
        let person = person
            .as_ref()
            .map(|p| std::str::from_utf8(p).unwrap_or_default());
        let city = self.city.map(|c| c.to_string());
        let division = self.division.map(|d| d.to_string());
        let phone = self.phone.map(Phone::as_string);
        b.col(0).i32(Some(self.file_no));
        b.col(1).i32(Some(self.line));
        b.col(2).i64(self.key.map(|k| k.0));
        b.col(3).i64(self.key.map(|k| k.1));
        b.col(4).i8(Some(self.outcome as i8));
        b.col(5).str(self.reason.map(Reason::code));
        b.col(6).str(person);
        b.col(7).str(city.as_deref());
        b.col(8).str(division.as_deref());
        b.col(9).str(self.record_id.as_deref());
        b.col(10).date(self.start);
        b.col(11).date(self.end);
        b.col(12).str(self.detail.as_deref());
        b.col(13).str(self.raw.as_deref());
        b.col(14).str(phone.as_deref());
        b.col(15).date(self.owner_start);
        b.col(16).date(self.owner_end);
        b.end_row();
    }
}

/// Splits a 128-bit key into the two `int64` columns.
pub fn key_halves(key: u128) -> (i64, i64) {
    ((key >> 64) as u64 as i64, key as u64 as i64)
}

/// Reads the rows of an imported [`JUDGED`] batch.
pub struct Rows<'a> {
    file_no: &'a PrimitiveArray<i32>,
    line: &'a PrimitiveArray<i32>,
    key_hi: &'a PrimitiveArray<i64>,
    key_lo: &'a PrimitiveArray<i64>,
    outcome: &'a PrimitiveArray<i8>,
    reason: TextColumn<'a>,
    person: TextColumn<'a>,
    city: TextColumn<'a>,
    division: TextColumn<'a>,
    record_id: TextColumn<'a>,
    start: &'a PrimitiveArray<i32>,
    end: &'a PrimitiveArray<i32>,
    detail: TextColumn<'a>,
    raw: TextColumn<'a>,
    phone: TextColumn<'a>,
    owner_start: &'a PrimitiveArray<i32>,
    owner_end: &'a PrimitiveArray<i32>,
}

fn bad(column: &str, value: &str) -> PyErr {
    PyValueError::new_err(format!("column {column}: {value:?} is not valid"))
}

impl<'a> Rows<'a> {
    /// The columns of `batch`, which must hold every [`JUDGED`] column.
    pub fn new(batch: &'a Imported) -> PyResult<Self> {
        Ok(Rows {
            file_no: batch.primitive("file_no")?,
            line: batch.primitive("line")?,
            key_hi: batch.primitive("key_hi")?,
            key_lo: batch.primitive("key_lo")?,
            outcome: batch.primitive("outcome")?,
            reason: batch.text("reason")?,
            person: batch.text("person")?,
            city: batch.text("city")?,
            division: batch.text("division")?,
            record_id: batch.text("record_id")?,
            start: batch.primitive("start")?,
            end: batch.primitive("end")?,
            detail: batch.text("detail")?,
            raw: batch.text("raw")?,
            phone: batch.text("phone")?,
            owner_start: batch.primitive("owner_start")?,
            owner_end: batch.primitive("owner_end")?,
        })
    }

    /// Row `i`.
    pub fn get(&self, i: usize) -> PyResult<Row> {
        let division = |col: &TextColumn<'_>, name: &str| -> PyResult<Option<Division>> {
            col.get(i)
                .map(|t| {
                    t.parse::<u32>()
                        .ok()
                        .filter(|_| t.len() == 6)
                        .map(Division::new_unchecked)
                        .ok_or_else(|| bad(name, t))
                })
                .transpose()
        };
        Ok(Row {
            file_no: self.file_no.get(i).ok_or_else(|| bad("file_no", ""))?,
            line: self.line.get(i).ok_or_else(|| bad("line", ""))?,
            key: self.key_hi.get(i).zip(self.key_lo.get(i)),
            outcome: Outcome::from_code(self.outcome.get(i).ok_or_else(|| bad("outcome", ""))?)?,
            reason: self
                .reason
                .get(i)
                .map(|r| Reason::from_code(r).ok_or_else(|| bad("reason", r)))
                .transpose()?,
            person: self
                .person
                .get(i)
                .map(|p| PersonId::from_canonical(p).ok_or_else(|| bad("person", "…")))
                .transpose()?,
            city: division(&self.city, "city")?,
            division: division(&self.division, "division")?,
            record_id: self.record_id.get(i).map(str::to_owned),
            start: self.start.get(i),
            end: self.end.get(i),
            detail: self.detail.get(i).map(str::to_owned),
            raw: self.raw.get(i).map(str::to_owned),
            phone: self
                .phone
                .get(i)
                .map(|p| parse_phone(p).ok_or_else(|| bad("phone", "…")))
                .transpose()?,
            owner_start: self.owner_start.get(i),
            owner_end: self.owner_end.get(i),
        })
    }
}
