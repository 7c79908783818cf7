//! Loading the gazetteer file the pipeline names (the parsing is the core's,
//! [`residence_core::gazetteer`]).

use std::path::Path;

use super::error::IngestError;
use crate::errors::io_words;
use crate::rules::address::Gazetteer;
use residence_core::gazetteer::{GazetteerError, read_gazetteer};

/// Reads the gazetteer CSV at `path` into a [`Gazetteer`].
pub fn load_gazetteer(path: &Path) -> Result<Gazetteer, IngestError> {
    let fail = |message: String| IngestError::Gazetteer {
        path: path.to_owned(),
        message,
    };
    let unreadable = |e: std::io::Error| fail(format!("cannot read it: {}", io_words(&e)));
    let file = std::fs::File::open(path).map_err(unreadable)?;
    read_gazetteer(std::io::BufReader::new(file)).map_err(|e| match e {
        GazetteerError::Io(e) => unreadable(e),
        GazetteerError::Invalid(message) => fail(message),
    })
}
