//! What the output stages count: decisions by city, status and basis, and rows per output file.

use std::collections::BTreeMap;

/// (city, status, basis) → persons.
pub type Decisions = BTreeMap<(String, &'static str, &'static str), u64>;

/// Output file name → rows written.
pub type Outputs = BTreeMap<String, u64>;
