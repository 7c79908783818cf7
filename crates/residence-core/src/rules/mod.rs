//! Pure business rules of the pipeline: field parsing, place resolution, spells and decisions (no I/O).

pub mod address;
pub mod date;
pub mod decision;
pub mod division;
pub mod gate;
pub mod id;
pub mod number;
pub mod phone;
pub mod reason;
pub mod spell;
pub mod text;
