//! One well-formed record judged at once: its verdict (SPEC §5 steps 3–5, 7),
//! the phone ownership a telecom row proves (for step 6) and its
//! supersession key (step 2). The nightly run and the Python module both
//! judge every record through [`Judge::judge`].

use super::fields::{Fields, Rejection};
use super::keys::record_key;
use super::memo::{IdMemo, PlaceMemo};
use super::validate::{Ctx, Outcome, Owner, validate};
use crate::pipeline::SourceKind;
use crate::rules::id::PersonId;

/// What one record became.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Accepted, filtered, or waiting for the identity step.
    Outcome(Outcome),
    /// Rejected, with the row's person when its person column holds a valid
    /// ID (whatever failed; SPEC §7 `rejects.parquet` person_id).
    Rejected {
        /// Why.
        rejection: Rejection,
        /// The row's person, when valid.
        person: Option<PersonId>,
    },
}

/// A record's judgement.
#[derive(Clone, Debug, PartialEq)]
pub struct Judgement {
    /// What the record became.
    pub verdict: Verdict,
    /// The phone ownership a telecom row proves once it passed steps 1–4.
    pub owner: Option<Owner>,
    /// The supersession key (step 2): the record id's, or for hukou the
    /// normalised ID number's; `None` when the row has neither.
    pub key: Option<u128>,
}

/// Judges the records of one source, one file at a time: it keeps the
/// file's memos of the last ID and address.
pub struct Judge<'c> {
    kind: SourceKind,
    ctx: &'c Ctx<'c>,
    ids: IdMemo,
    places: PlaceMemo,
}

impl<'c> Judge<'c> {
    /// A judge for the records of `kind` under `ctx`.
    pub fn new(kind: SourceKind, ctx: &'c Ctx<'c>) -> Self {
        Judge {
            kind,
            ctx,
            ids: IdMemo::default(),
            places: PlaceMemo::default(),
        }
    }

    /// Judges one well-formed record given its trimmed values in canonical
    /// field order (absent columns empty).
    pub fn judge(&self, values: &[&str]) -> Judgement {
        let kind = self.kind;
        let fields = Fields {
            values,
            names: kind.fields(),
            as_of: self.ctx.as_of,
            ids: &self.ids,
            places: &self.places,
        };
        let mut owner = None;
        let verdict = match validate(kind, &fields, self.ctx, &mut owner) {
            Ok(outcome) => Verdict::Outcome(outcome),
            Err(rejection) => Verdict::Rejected {
                rejection,
                // Rejections are rare: parse the person column again.
                person: Some(values[kind.person_field()])
                    .filter(|v| !v.is_empty())
                    .and_then(|v| self.ids.parse(v, self.ctx.as_of).ok()),
            },
        };
        // Step 2's key: the record id, or for hukou the normalised ID number.
        // Rows without one take no part.
        let key = if kind == SourceKind::Hukou {
            self.ids
                .parse(values[0], self.ctx.as_of)
                .ok()
                .map(|p| record_key(kind, &p.canonical()))
        } else if values[0].is_empty() {
            None
        } else {
            Some(record_key(kind, values[0].as_bytes()))
        };
        Judgement {
            verdict,
            owner,
            key,
        }
    }
}

/// A row's record id, as outputs show it: none for hukou (its key is the
/// ID number) or when empty.
pub fn record_id<'v>(kind: SourceKind, values: &[&'v str]) -> Option<&'v [u8]> {
    (kind != SourceKind::Hukou && !values[0].is_empty()).then(|| values[0].as_bytes())
}
