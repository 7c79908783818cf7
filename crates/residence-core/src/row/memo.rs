//! Per-file memos of the last value parsed. Feeds list a person's rows
//! together (a year of monthly contributions, a household's bills), so the
//! same ID text or address usually comes several times in a row. One memo
//! per file being read: plain cells, no locks, nothing shared between
//! threads, and the rules they wrap stay pure functions.

use std::cell::{Cell, RefCell};

use chrono::NaiveDate;

use crate::rules::address::{AddressError, Gazetteer};
use crate::rules::division::Division;
use crate::rules::id::{IdError, PersonId, parse_id_number};

/// The last ID text parsed and its result. Feeds list a person's rows
/// together (a year of monthly contributions, a meter's bills), so the same
/// ID text usually comes many times in a row; one memo per file being read.
#[derive(Default)]
pub struct IdMemo {
    last: Cell<Option<Remembered>>,
}

#[derive(Clone, Copy)]
struct Remembered {
    text: [u8; IdMemo::MAX],
    len: u8,
    result: Result<PersonId, IdError>,
}

impl IdMemo {
    /// Longest text remembered: an 18-character number with some padding.
    const MAX: usize = 32;

    /// [`parse_id_number`], remembering the last text.
    pub fn parse(&self, raw: &str, as_of: NaiveDate) -> Result<PersonId, IdError> {
        if raw.len() > Self::MAX {
            return parse_id_number(raw, as_of);
        }
        if let Some(last) = self.last.get()
            && &last.text[..usize::from(last.len)] == raw.as_bytes()
        {
            return last.result;
        }
        let result = parse_id_number(raw, as_of);
        let mut text = [0u8; Self::MAX];
        text[..raw.len()].copy_from_slice(raw.as_bytes());
        self.last.set(Some(Remembered {
            text,
            len: raw.len() as u8,
            result,
        }));
        result
    }
}

/// The last address resolved and its result (one gazetteer per run).
#[derive(Default)]
pub struct PlaceMemo {
    last: RefCell<Option<(String, Result<Division, AddressError>)>>,
}

impl PlaceMemo {
    /// [`Gazetteer::resolve`], remembering the last address.
    pub fn resolve(&self, gazetteer: &Gazetteer, address: &str) -> Result<Division, AddressError> {
        let mut last = self.last.borrow_mut();
        match &mut *last {
            Some((text, result)) if text == address => *result,
            Some((text, result)) => {
                *result = gazetteer.resolve(address);
                text.clear();
                text.push_str(address);
                *result
            }
            None => {
                let result = gazetteer.resolve(address);
                *last = Some((address.to_owned(), result));
                result
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_memory_gives_what_parsing_gives() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let texts = [
            "11010519491231002X",
            "11010519491231002X",
            "110105194912310",
            "110105194912310",
            "11010519491231002X",
            "99010519491231002X",
            "",
            "350502202601010013",
            "350502202601010013",
        ];
        for as_of in [d(2026, 11, 27), d(2020, 1, 1)] {
            let memo = IdMemo::default();
            for t in texts {
                assert_eq!(memo.parse(t, as_of), parse_id_number(t, as_of), "{t:?}");
            }
        }
    }

    #[test]
    fn place_memo_answers_like_the_gazetteer() {
        let code = |c| Division::new_unchecked(c);
        let g = Gazetteer::new([
            (code(350500), "泉州市".to_owned(), None),
            (code(350503), "丰泽区".to_owned(), Some(code(350500))),
            (code(350200), "厦门市".to_owned(), None),
            (code(350203), "思明区".to_owned(), Some(code(350200))),
        ]);
        let memo = PlaceMemo::default();
        for a in [
            "泉州市丰泽区",
            "泉州市丰泽区",
            "厦门市泉州市",
            "不知道",
            "不知道",
            "泉州市丰泽区",
        ] {
            assert_eq!(memo.resolve(&g, a), g.resolve(a), "{a}");
        }
    }
}
