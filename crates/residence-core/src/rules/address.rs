//! Free-text addresses resolved to a division through the gazetteer's full names.

use std::borrow::Cow;
use std::cmp::Reverse;
use std::fmt;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use super::{division::Division, text};

/// Why an address resolves to no division (SPEC §3 Address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressError {
    /// No city or county name of the gazetteer in the text: `unresolved_address`.
    Unresolved,
    /// Names of more than one city: `ambiguous_address`.
    Ambiguous,
}

impl fmt::Display for AddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AddressError::Unresolved => "no city or county name of the gazetteer found",
            AddressError::Ambiguous => "names of more than one city found",
        })
    }
}

impl std::error::Error for AddressError {}

/// A gazetteer name: a city, or a county-level division and its city.
#[derive(Debug, Clone)]
struct Entry {
    code: Division,
    city: Division,
    county: bool,
    len: usize,
}

/// The city and county names of the gazetteer, searched all at once.
#[derive(Debug, Clone)]
pub struct Gazetteer {
    entries: Vec<Entry>,
    /// `names[i]` is the (normalised) name of `entries[i]`.
    names: Vec<String>,
    /// One automaton over every name (pattern i is `entries[i]`): an address is
    /// scanned once, not once per name.
    matcher: Option<AhoCorasick>,
}

fn normalise(s: &str) -> Cow<'_, str> {
    match text::fold_width(s) {
        Cow::Borrowed(b) if !b.chars().any(char::is_whitespace) => Cow::Borrowed(b),
        folded => Cow::Owned(folded.chars().filter(|c| !c.is_whitespace()).collect()),
    }
}

impl Gazetteer {
    /// Provinces (codes ending in `0000`) and empty names are dropped: they locate no city.
    pub fn new(entries: impl IntoIterator<Item = (Division, String, Option<Division>)>) -> Self {
        let mut kept = Vec::new();
        let mut names = Vec::new();
        for (code, name, _parent) in entries {
            let name = normalise(&name).into_owned();
            if name.is_empty() || code.code() % 10_000 == 0 {
                continue;
            }
            kept.push(Entry {
                code,
                city: code.city(),
                county: code.is_county_level(),
                len: name.len(),
            });
            names.push(name);
        }
        // Standard match semantics: overlapping search reports every occurrence of every name.
        // A DFA: a few dozen short names make a small one, and it scans fastest.
        let matcher = AhoCorasick::builder()
            .kind(Some(AhoCorasickKind::DFA))
            .match_kind(MatchKind::Standard)
            .build(&names)
            .ok();
        Gazetteer {
            entries: kept,
            names,
            matcher,
        }
    }

    /// True when the gazetteer has no city or county name, so no address resolves.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The name of a city or county of the gazetteer (`泉州市`).
    pub fn name(&self, division: Division) -> Option<&str> {
        let i = self.entries.iter().position(|e| e.code == division)?;
        self.names.get(i).map(String::as_str)
    }

    /// SPEC §3 Address: the first county-level name gives the county; else a city name
    /// gives the city. Names of more than one city (through counties or city names)
    /// are ambiguous.
    pub fn resolve(&self, address: &str) -> Result<Division, AddressError> {
        let text = normalise(address);
        let Some(matcher) = &self.matcher else {
            return Err(AddressError::Unresolved);
        };

        // First county by position; at the same position the longer name, then the lower code.
        let mut first: Option<(usize, Reverse<usize>, Division)> = None;
        let mut county_city: Option<Division> = None;
        let mut named_city: Option<Division> = None;
        for m in matcher.find_overlapping_iter(text.as_ref()) {
            let e = &self.entries[m.pattern().as_usize()];
            if e.county {
                match county_city {
                    Some(city) if city != e.city => return Err(AddressError::Ambiguous),
                    _ => county_city = Some(e.city),
                }
                let key = (m.start(), Reverse(e.len), e.code);
                if first.is_none_or(|f| key < f) {
                    first = Some(key);
                }
            } else {
                match named_city {
                    Some(c) if c != e.code => return Err(AddressError::Ambiguous),
                    _ => named_city = Some(e.code),
                }
            }
        }
        if let (Some(county), Some(city)) = (county_city, named_city)
            && county != city
        {
            return Err(AddressError::Ambiguous);
        }
        match (first, named_city) {
            (Some((_, _, county)), _) => Ok(county),
            (None, Some(city)) => Ok(city),
            (None, None) => Err(AddressError::Unresolved),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(code: u32) -> Division {
        Division::new_unchecked(code)
    }

    fn gazetteer() -> Gazetteer {
        let rows: [(u32, &str, Option<u32>); 17] = [
            (350000, "福建省", None),
            (350100, "福州市", Some(350000)),
            (350200, "厦门市", Some(350000)),
            (350500, "泉州市", Some(350000)),
            (350600, "漳州市", Some(350000)),
            (350502, "鲤城区", Some(350500)),
            (350503, "丰泽区", Some(350500)),
            (350504, "洛江区", Some(350500)),
            (350505, "泉港区", Some(350500)),
            (350521, "惠安县", Some(350500)),
            (350524, "安溪县", Some(350500)),
            (350525, "永春县", Some(350500)),
            (350526, "德化县", Some(350500)),
            (350527, "金门县", Some(350500)),
            (350581, "石狮市", Some(350500)),
            (350582, "晋江市", Some(350500)),
            (350583, "南安市", Some(350500)),
        ];
        Gazetteer::new(
            rows.iter()
                .map(|&(c, n, p)| (d(c), n.to_string(), p.map(d))),
        )
    }

    #[test]
    fn resolves_county_and_city() {
        let g = gazetteer();
        assert_eq!(g.resolve("福建省泉州市丰泽区东海街道1号"), Ok(d(350503)));
        assert_eq!(g.resolve("泉州市"), Ok(d(350500)));
        assert_eq!(g.resolve("福建省泉州市"), Ok(d(350500)));
        assert_eq!(g.resolve("晋江市陈埭镇"), Ok(d(350582)));
        assert_eq!(g.resolve("泉州市泉州市丰泽区"), Ok(d(350503)));
    }

    #[test]
    fn first_county_wins_within_one_city() {
        let g = gazetteer();
        assert_eq!(g.resolve("鲤城区某路近晋江市界"), Ok(d(350502)));
        assert_eq!(g.resolve("晋江市某路近鲤城区界"), Ok(d(350582)));
    }

    #[test]
    fn ambiguous_addresses() {
        let g = gazetteer();
        assert_eq!(g.resolve("厦门市鲤城区xx"), Err(AddressError::Ambiguous));
        assert_eq!(g.resolve("福州市泉州市"), Err(AddressError::Ambiguous));
        assert_eq!(g.resolve("福州市晋江市"), Err(AddressError::Ambiguous));
        assert_eq!(
            g.resolve("泉州市厦门市丰泽区"),
            Err(AddressError::Ambiguous)
        );
    }

    #[test]
    fn unresolved_addresses() {
        let g = gazetteer();
        assert_eq!(g.resolve("北京朝阳"), Err(AddressError::Unresolved));
        assert_eq!(g.resolve("福建省"), Err(AddressError::Unresolved));
        assert_eq!(g.resolve("泉州丰泽"), Err(AddressError::Unresolved));
        assert_eq!(g.resolve(""), Err(AddressError::Unresolved));
    }

    #[test]
    fn white_space_and_full_width_are_normalised() {
        let g = gazetteer();
        assert_eq!(g.resolve("泉州市　丰泽区"), Ok(d(350503)));
        assert_eq!(g.resolve("泉 州 市\t丰泽\u{3000}区１号"), Ok(d(350503)));
        assert_eq!(g.resolve(" 晋江市 "), Ok(d(350582)));
    }

    #[test]
    fn normalise_borrows_clean_text() {
        assert!(matches!(normalise("泉州市丰泽区1号"), Cow::Borrowed(_)));
        assert_eq!(normalise("泉州市 丰泽区１号"), "泉州市丰泽区1号");
    }

    #[test]
    fn empty_gazetteer() {
        let g = Gazetteer::new(std::iter::empty());
        assert!(g.is_empty());
        assert_eq!(g.resolve("泉州市"), Err(AddressError::Unresolved));
        assert!(!gazetteer().is_empty());
    }
}
