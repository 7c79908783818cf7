//! The three steps that need rows from many files, each over one key's run
//! of rows that Spark brought together and sorted (SPEC §10): supersession
//! by record key (§5 step 2), the phone owner on the day (step 6) and
//! timelines by person (§6). Each is a stateful object fed one batch at a
//! time: a key's run may cross a batch boundary, so the open run is carried
//! to the next `push` and closed by `finish`.

use chrono::NaiveDate;
use hashbrown::HashMap;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use residence_core::pipeline::SourceKind;
use residence_core::row::identity::{Buyer, buyer_among};
use residence_core::row::validate::{Owner, Pledge};
use residence_core::rules::date::{from_epoch_days, to_epoch_days};
use residence_core::rules::division::Division;
use residence_core::rules::id::PersonId;
use residence_core::rules::phone::Phone;
use residence_core::rules::reason::Reason;
use residence_core::timeline::{self, PledgeRecord, SortedEvidence, TimelineParams, Timelines};

use crate::arrow::{Batch, BatchBuilder, Kind, Schema, import};
use crate::judged::{JUDGED, Outcome, Row, Rows};
use crate::night::Night;

fn need(v: Option<i32>, what: &str) -> PyResult<i32> {
    v.ok_or_else(|| PyValueError::new_err(format!("a row lacks its {what}")))
}

/// The row as `filtered.parquet` shows it once a later version replaced
/// it: what was known of it stays, its own reason and the rest go.
fn superseded(mut row: Row) -> Row {
    row.outcome = Outcome::Filtered;
    row.reason = Some(Reason::Superseded);
    row.division = None;
    row.detail = None;
    row.raw = None;
    row.phone = None;
    row.owner_start = None;
    row.owner_end = None;
    row
}

/// SPEC §5 step 2: of the rows sharing a supersession key, the last (in
/// file and line order) keeps its verdict; the others are filtered
/// `superseded`. Rows without a key pass unchanged.
#[pyclass(module = "residence_py")]
pub struct Superseder {
    run: Vec<Row>,
}

impl Superseder {
    fn close_run(&mut self, out: &mut BatchBuilder) {
        let last = self.run.len().saturating_sub(1);
        for (i, row) in self.run.drain(..).enumerate() {
            if i == last { row } else { superseded(row) }.push(out);
        }
    }
}

#[pymethods]
impl Superseder {
    /// A superseder with no open run.
    #[new]
    fn new() -> Self {
        Superseder { run: Vec::new() }
    }

    /// Judged rows sorted by (key_hi, key_lo, file_no, line) → the same rows
    /// with step 2 applied; the last key's run stays open.
    fn push(&mut self, batch: &Bound<'_, PyAny>) -> PyResult<Batch> {
        let batch = import(batch)?;
        let rows = Rows::new(&batch)?;
        let mut out = BatchBuilder::new(JUDGED);
        for i in 0..batch.len() {
            let row = rows.get(i)?;
            let Some(key) = row.key else {
                row.push(&mut out);
                continue;
            };
            if let Some(open) = self.run.last()
                && (open.key != Some(key) || (open.file_no, open.line) > (row.file_no, row.line))
            {
                if open.key == Some(key) {
                    return Err(PyValueError::new_err(
                        "rows of one key must come in file and line order",
                    ));
                }
                self.close_run(&mut out);
            }
            self.run.push(row);
        }
        Ok(out.take())
    }

    /// Closes the open run.
    fn finish(&mut self) -> Batch {
        let mut out = BatchBuilder::new(JUDGED);
        self.close_run(&mut out);
        out.take()
    }
}

/// SPEC §5 step 6: each awaiting shopping row gets the phone's owner on the
/// delivery day, from the owner rows of the same phone that come before it.
#[pyclass(module = "residence_py")]
pub struct Identifier {
    night: Py<Night>,
    phone: Option<Phone>,
    owners: Vec<Owner>,
}

#[pymethods]
impl Identifier {
    /// An identifier for `night`'s rows.
    #[new]
    fn new(night: Py<Night>) -> Self {
        Identifier {
            night,
            phone: None,
            owners: Vec::new(),
        }
    }

    /// Rows with a phone, sorted by phone with each phone's owner rows (a
    /// current telecom row: `owner_start` set) before its awaiting rows →
    /// the awaiting rows decided: evidence, filtered or rejected.
    fn push(&mut self, py: Python<'_>, batch: &Bound<'_, PyAny>) -> PyResult<Batch> {
        let night = self.night.clone_ref(py);
        let night = night.bind(py).get();
        let ctx = night.ctx();
        let batch = import(batch)?;
        let rows = Rows::new(&batch)?;
        let mut out = BatchBuilder::new(JUDGED);
        for i in 0..batch.len() {
            let row = rows.get(i)?;
            let Some(phone) = row.phone else { continue };
            if self.phone != Some(phone) {
                self.phone = Some(phone);
                self.owners.clear();
            }
            if row.outcome != Outcome::Awaiting {
                if let (Some(person), Some(start), Some(end)) =
                    (row.person, row.owner_start, row.owner_end)
                {
                    self.owners.push(Owner {
                        phone,
                        person,
                        start: from_epoch_days(start),
                        end: from_epoch_days(end),
                    });
                }
                continue;
            }
            let day = from_epoch_days(need(row.start, "delivery day")?);
            let division = row
                .division
                .ok_or_else(|| PyValueError::new_err("an awaiting row lacks its division"))?;
            let buyer = buyer_among(&self.owners, day);
            let mut done = Row::new(row.file_no, row.line, Outcome::Rejected);
            done.key = row.key;
            done.record_id = row.record_id;
            match (buyer, buyer.rejection()) {
                (_, Some((reason, detail))) => {
                    done.reason = Some(reason);
                    done.detail = Some(detail.to_owned());
                    done.raw = row.raw;
                }
                (Buyer::Unique(person), None) => {
                    match ctx.interval(person, division, day, Some(day)) {
                        Ok(e) => {
                            done.outcome = Outcome::Evidence;
                            done.person = Some(e.person);
                            done.city = Some(e.division.city());
                            done.division = Some(e.division);
                            done.start = Some(to_epoch_days(e.start));
                            done.end = Some(to_epoch_days(e.end));
                        }
                        Err(f) => {
                            // The row's person column is empty: its person
                            // stays null (SPEC §7), though the phone named one.
                            done.outcome = Outcome::Filtered;
                            done.reason = Some(f.reason);
                            done.city = f.facts.city;
                            done.start = f.facts.start.map(to_epoch_days);
                            done.end = f.facts.end.map(to_epoch_days);
                        }
                    }
                }
                (Buyer::Nobody | Buyer::Several, None) => {
                    unreachable!("a buyer that is not unique is a rejection")
                }
            }
            done.push(&mut out);
        }
        Ok(out.take())
    }

    /// Nothing stays open between phones: an empty batch.
    fn finish(&mut self) -> Batch {
        self.phone = None;
        self.owners.clear();
        BatchBuilder::new(JUDGED).take()
    }
}

/// The columns of a person-output batch: `table` 0 is an
/// `eligibility.parquet` row, 1 a `spells.parquet` row; each uses its own
/// columns (for eligibility `start`/`end` are `spell_start`/`spell_end` and
/// `months` is `months_of_evidence`).
pub const PERSON: Schema = &[
    ("table", Kind::I8, false),
    ("person_id", Kind::Str, false),
    ("city", Kind::Str, false),
    ("county", Kind::Str, true),
    ("status", Kind::Str, true),
    ("basis", Kind::Str, true),
    ("spell_no", Kind::I32, true),
    ("start", Kind::Date, true),
    ("end", Kind::Date, true),
    ("months", Kind::I32, false),
    ("covered_days", Kind::I32, false),
    ("strong_days", Kind::I32, true),
    ("evidence_count", Kind::I32, false),
    ("sources", Kind::StrList, false),
    ("eligible_since", Kind::Date, true),
    ("eligible_on", Kind::Date, true),
    ("pledge_since", Kind::Date, true),
];

/// One evidence row of the person being decided.
struct Ev {
    city: u32,
    division: u32,
    source: u32,
    start: i32,
    end: i32,
    record_id: String,
}

/// SPEC §6: each person's evidence, pledges and hukou → their spells and
/// decisions per city, exactly as `residence run` writes them.
#[pyclass(module = "residence_py")]
pub struct Decider {
    night: Py<Night>,
    person: Option<PersonId>,
    evidence: Vec<Ev>,
    pledges: Vec<PledgeRecord>,
    hukou: Option<Division>,
}

fn count(v: u32) -> Option<i32> {
    Some(i32::try_from(v).unwrap_or(i32::MAX))
}

fn days(d: Option<NaiveDate>) -> Option<i32> {
    d.map(to_epoch_days)
}

impl Decider {
    fn close_person(&mut self, night: &Night, out: &mut BatchBuilder) {
        let Some(person) = self.person.take() else {
            return;
        };
        // The evidence order: city, person, start, end, source, record id.
        self.evidence.sort_unstable_by(|a, b| {
            (a.city, a.start, a.end, a.source, &a.record_id).cmp(&(
                b.city,
                b.start,
                b.end,
                b.source,
                &b.record_id,
            ))
        });
        let n = self.evidence.len();
        let persons = vec![person.as_u64(); n];
        let col = |f: fn(&Ev) -> u32| self.evidence.iter().map(f).collect::<Vec<u32>>();
        let (city, division, source) = (col(|e| e.city), col(|e| e.division), col(|e| e.source));
        let start: Vec<i32> = self.evidence.iter().map(|e| e.start).collect();
        let end: Vec<i32> = self.evidence.iter().map(|e| e.end).collect();
        let hukou: HashMap<PersonId, Division> =
            self.hukou.take().map(|c| (person, c)).into_iter().collect();
        let pledges = timeline::latest_pledges(self.pledges.drain(..));
        let Timelines {
            spells,
            eligibility,
        } = timeline::build(
            SortedEvidence {
                person: &persons,
                city: &city,
                division: &division,
                source: &source,
                start: &start,
                end: &end,
            },
            &pledges,
            &hukou,
            &TimelineParams::from(&night.pipeline().params),
            night.as_of(),
        );
        self.evidence.clear();
        let person_text = person.to_canonical_string();
        for e in &eligibility {
            let s = e.last_spell;
            out.col(0).i8(Some(0));
            out.col(1).str(Some(&person_text));
            out.col(2).str(Some(&e.city.to_string()));
            out.col(3).str(e.county.map(|c| c.to_string()).as_deref());
            out.col(4).str(Some(e.decision.status.as_str()));
            out.col(5).str(Some(e.decision.basis.as_str()));
            out.col(6).i32(None);
            out.col(7).date(s.map(|s| to_epoch_days(s.start)));
            out.col(8).date(s.map(|s| to_epoch_days(s.end)));
            out.col(9).i32(count(s.map_or(0, |s| s.months)));
            out.col(10).i32(count(s.map_or(0, |s| s.covered_days)));
            out.col(11).i32(count(e.strong_days));
            out.col(12).i32(count(s.map_or(0, |s| s.evidence_count)));
            out.col(13)
                .str_list(SourceKind::names_in(s.map_or(0, |s| s.sources)));
            out.col(14).date(days(e.decision.eligible_since));
            out.col(15).date(days(e.decision.eligible_on));
            out.col(16).date(days(e.pledge_since));
            out.end_row();
        }
        for s in &spells {
            out.col(0).i8(Some(1));
            out.col(1).str(Some(&person_text));
            out.col(2).str(Some(&s.city.to_string()));
            out.col(3).str(None);
            out.col(4).str(None);
            out.col(5).str(None);
            out.col(6).i32(count(s.spell_no));
            out.col(7).date(Some(to_epoch_days(s.start)));
            out.col(8).date(Some(to_epoch_days(s.end)));
            out.col(9).i32(count(s.months));
            out.col(10).i32(count(s.covered_days));
            out.col(11).i32(None);
            out.col(12).i32(count(s.evidence_count));
            out.col(13).str_list(SourceKind::names_in(s.sources));
            out.col(14).date(None);
            out.col(15).date(None);
            out.col(16).date(None);
            out.end_row();
        }
    }
}

#[pymethods]
impl Decider {
    /// A decider for `night`'s rows.
    #[new]
    fn new(night: Py<Night>) -> Self {
        Decider {
            night,
            person: None,
            evidence: Vec::new(),
            pledges: Vec::new(),
            hukou: None,
        }
    }

    /// Judged rows that are evidence, pledges or hukou, sorted by person (in
    /// any order within a person) → the eligibility and spell rows of every
    /// person whose rows ended in this batch.
    fn push(&mut self, py: Python<'_>, batch: &Bound<'_, PyAny>) -> PyResult<Batch> {
        let night = self.night.clone_ref(py);
        let night = night.bind(py).get();
        let batch = import(batch)?;
        let rows = Rows::new(&batch)?;
        let mut out = BatchBuilder::new(PERSON);
        for i in 0..batch.len() {
            let row = rows.get(i)?;
            let (Some(person), Some(city)) = (row.person, row.city) else {
                return Err(PyValueError::new_err(
                    "a row to decide lacks person or city",
                ));
            };
            if self.person != Some(person) {
                self.close_person(night, &mut out);
                self.person = Some(person);
            }
            match row.outcome {
                Outcome::Evidence => self.evidence.push(Ev {
                    city: city.code(),
                    division: row.division.map_or(city.code(), Division::code),
                    source: night.source_of(row.file_no)? as u32,
                    start: need(row.start, "start")?,
                    end: need(row.end, "end")?,
                    record_id: row.record_id.unwrap_or_default(),
                }),
                Outcome::Pledge => self.pledges.push(PledgeRecord {
                    pledge: Pledge {
                        person,
                        city,
                        declared_since: from_epoch_days(need(row.start, "declared_since")?),
                        signed_date: from_epoch_days(need(row.end, "signed_date")?),
                    },
                    order: (row.file_no as u32, row.line as u32),
                }),
                Outcome::Hukou => self.hukou = Some(city),
                other => {
                    return Err(PyValueError::new_err(format!(
                        "only evidence, pledges and hukou are decided, not {other:?}"
                    )));
                }
            }
        }
        Ok(out.take())
    }

    /// Decides the last person.
    fn finish(&mut self, py: Python<'_>) -> Batch {
        let night = self.night.clone_ref(py);
        let night = night.bind(py).get();
        let mut out = BatchBuilder::new(PERSON);
        self.close_person(night, &mut out);
        out.take()
    }
}
