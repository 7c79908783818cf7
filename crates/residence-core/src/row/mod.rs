//! One record's judgement: the per-field checks of SPEC §5 step 3
//! (`fields.rs`), the per-feed rules of steps 3–5 and 7 (`validate.rs`),
//! memos of the last ID and address (`memo.rs`), the supersession key of
//! step 2 (`keys.rs`), the whole record judged at once (`judge.rs`) and the
//! phone owner on the day of step 6 (`identity.rs`).

pub mod fields;
pub mod identity;
pub mod judge;
pub mod keys;
pub mod memo;
pub mod validate;
