//! k-anonymity for the analyst copy (SPEC §9): each person's
//! quasi-identifiers — city, county and the months of their eligibility row
//! and of every spell — form one combination, counted per person across the
//! two files. A person whose combination fewer than k persons share is
//! generalised first (county → city, month → quarter → year) and
//! suppressed (every quasi-identifier null) only where that is not enough;
//! the suppressed persons form a class too, topped up to k from classes
//! that can spare a person. Pure: codes in, levels out.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};

use crate::rules::date::{from_epoch_days, to_epoch_days};

/// How far a person's quasi-identifiers are coarsened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// County and month as they are.
    CountyMonth,
    /// The county replaced by its city (county null), months kept.
    CityMonth,
    /// Dates as quarters.
    CityQuarter,
    /// Dates as years.
    CityYear,
    /// Every quasi-identifier null.
    Suppressed,
}

impl Level {
    /// All levels, finest first.
    pub const ALL: [Level; 5] = [
        Level::CountyMonth,
        Level::CityMonth,
        Level::CityQuarter,
        Level::CityYear,
        Level::Suppressed,
    ];

    /// The name the copy writes in its `precision` column.
    pub fn name(self) -> &'static str {
        match self {
            Level::CountyMonth => "county_month",
            Level::CityMonth => "city_month",
            Level::CityQuarter => "city_quarter",
            Level::CityYear => "city_year",
            Level::Suppressed => "suppressed",
        }
    }

    fn next(self) -> Level {
        match self {
            Level::CountyMonth => Level::CityMonth,
            Level::CityMonth => Level::CityQuarter,
            Level::CityQuarter => Level::CityYear,
            Level::CityYear | Level::Suppressed => Level::Suppressed,
        }
    }

    /// A date (epoch days) at this level: the first day of its month,
    /// quarter or year; `None` when suppressed.
    pub fn date(self, days: Option<i32>) -> Option<i32> {
        let d = from_epoch_days(days?);
        let month = match self {
            Level::CountyMonth | Level::CityMonth => d.month(),
            Level::CityQuarter => (d.month0() / 3) * 3 + 1,
            Level::CityYear => 1,
            Level::Suppressed => return None,
        };
        Some(to_epoch_days(
            NaiveDate::from_ymd_opt(d.year(), month, 1).unwrap_or(d),
        ))
    }

    /// The city at this level.
    pub fn city(self, city: Option<u32>) -> Option<u32> {
        if self == Level::Suppressed {
            None
        } else {
            city
        }
    }

    /// The county at this level (null once generalised to the city).
    pub fn county(self, county: Option<u32>) -> Option<u32> {
        if self == Level::CountyMonth {
            county
        } else {
            None
        }
    }
}

/// One row's quasi-identifiers, as read (dates in epoch days).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Quasi {
    /// 0 eligibility, 1 spells: the file the row is in.
    pub file: u8,
    /// The city code.
    pub city: Option<u32>,
    /// The county code (eligibility only).
    pub county: Option<u32>,
    /// Every date of the row (spell start, end, eligible dates, …; spells
    /// fill the first two).
    pub dates: [Option<i32>; 5],
}

impl Quasi {
    /// The row as written at `level`.
    pub fn at(&self, level: Level) -> Quasi {
        Quasi {
            file: self.file,
            city: level.city(self.city),
            county: level.county(self.county),
            dates: self.dates.map(|d| level.date(d)),
        }
    }
}

/// A person's combination at a level — the level and the sorted, distinct
/// rows as written — as a 128-bit fingerprint, so a million persons'
/// classes are counted without holding their rows twice.
type Combination = u128;

fn combination(rows: &[Quasi], level: Level) -> Combination {
    use std::hash::{Hash, Hasher};
    let mut written: Vec<Quasi> = rows.iter().map(|q| q.at(level)).collect();
    written.sort_by(|a, b| {
        (a.file, a.city, a.county, &a.dates).cmp(&(b.file, b.city, b.county, &b.dates))
    });
    written.dedup();
    let half = |salt: u8| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (salt, level, &written).hash(&mut h);
        u128::from(h.finish())
    };
    (half(1) << 64) | half(2)
}

/// Each person's combination at their level, and the class sizes.
fn classes(
    people: &[Vec<Quasi>],
    levels: &[Level],
) -> (Vec<Combination>, HashMap<Combination, usize>) {
    let combos: Vec<Combination> = people
        .iter()
        .zip(levels)
        .map(|(rows, &l)| combination(rows, l))
        .collect();
    let mut sizes: HashMap<Combination, usize> = HashMap::new();
    for c in &combos {
        *sizes.entry(*c).or_default() += 1;
    }
    (combos, sizes)
}

/// Each person's level such that every class of the combinations as
/// written has at least `k` persons, or, when the whole population of one
/// shape of suppressed combination is smaller than `k`, `None` for those
/// persons (the copy leaves them out).
pub fn levels(people: &[Vec<Quasi>], k: usize) -> Vec<Option<Level>> {
    let mut levels = vec![Level::CountyMonth; people.len()];
    // Persons in small classes move one level up, until none is left but
    // the suppressed. A class of at least k keeps all its members (they
    // share one combination and move together), so this ends.
    loop {
        let (combos, sizes) = classes(people, &levels);
        let mut moved = false;
        for (i, c) in combos.iter().enumerate() {
            if sizes[c] < k && levels[i] != Level::Suppressed {
                levels[i] = levels[i].next();
                moved = true;
            }
        }
        if !moved {
            break;
        }
    }
    // Suppressed classes under k take persons of the same shape from
    // classes that can spare one, else whole smallest classes.
    loop {
        let (combos, sizes) = classes(people, &levels);
        let Some(small) = (0..people.len())
            .find(|&i| levels[i] == Level::Suppressed && sizes[&combos[i]] < k)
            .map(|i| combos[i])
        else {
            break;
        };
        let candidates: Vec<usize> = (0..people.len())
            .filter(|&i| {
                levels[i] != Level::Suppressed
                    && combination(&people[i], Level::Suppressed) == small
            })
            .collect();
        if candidates.is_empty() {
            // Nobody can join: these persons cannot be shown at all.
            let mut out: Vec<Option<Level>> = levels.iter().map(|&l| Some(l)).collect();
            for (i, c) in combos.iter().enumerate() {
                if *c == small {
                    out[i] = None;
                }
            }
            let kept: Vec<usize> = (0..people.len()).filter(|&i| out[i].is_some()).collect();
            let rest: Vec<Vec<Quasi>> = kept.iter().map(|&i| people[i].clone()).collect();
            for (j, l) in self::levels(&rest, k).into_iter().enumerate() {
                out[kept[j]] = l;
            }
            return out;
        }
        // The largest class that can spare a person, else the smallest whole class.
        let spare = candidates
            .iter()
            .copied()
            .filter(|&i| sizes[&combos[i]] > k)
            .max_by_key(|&i| (sizes[&combos[i]], std::cmp::Reverse(i)));
        match spare {
            Some(i) => levels[i] = Level::Suppressed,
            None => {
                let i = candidates
                    .iter()
                    .copied()
                    .min_by_key(|&i| (sizes[&combos[i]], i))
                    .expect("candidates");
                let class = combos[i];
                for j in 0..people.len() {
                    if combos[j] == class {
                        levels[j] = Level::Suppressed;
                    }
                }
            }
        }
    }
    levels.into_iter().map(Some).collect()
}

/// Classes of the combinations as written (`None`: left out), and the smallest.
pub fn written_classes(people: &[Vec<Quasi>], levels: &[Option<Level>]) -> (usize, usize) {
    let mut sizes: HashMap<Combination, usize> = HashMap::new();
    for (rows, l) in people.iter().zip(levels) {
        if let Some(l) = l {
            *sizes.entry(combination(rows, *l)).or_default() += 1;
        }
    }
    (sizes.len(), sizes.values().copied().min().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn q(file: u8, city: u32, county: u32, start: i32, end: i32) -> Quasi {
        Quasi {
            file,
            city: Some(city),
            county: Some(county),
            dates: [Some(start), Some(end), None, None, None],
        }
    }

    #[test]
    fn one_city_keeps_its_city_by_coarsening_the_county_and_the_dates() {
        // Five persons in one city, two counties, starts in one quarter.
        let people: Vec<Vec<Quasi>> = (0..5)
            .map(|i| {
                vec![q(
                    0,
                    350500,
                    350502 + (i % 2),
                    20_000 + i as i32 * 20,
                    20_500,
                )]
            })
            .collect();
        let l = levels(&people, 5);
        assert!(
            l.iter().all(|l| l.is_some_and(|l| l != Level::Suppressed)),
            "{l:?}"
        );
        let (_, smallest) = written_classes(&people, &l);
        assert!(smallest >= 5);
    }

    #[test]
    fn dates_coarsen_to_first_days() {
        let d = |s: &str| to_epoch_days(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap());
        let day = Some(d("2026-08-17"));
        assert_eq!(Level::CityMonth.date(day), Some(d("2026-08-01")));
        assert_eq!(Level::CityQuarter.date(day), Some(d("2026-07-01")));
        assert_eq!(Level::CityYear.date(day), Some(d("2026-01-01")));
        assert_eq!(Level::Suppressed.date(day), None);
    }

    proptest! {
        #[test]
        fn every_class_as_written_has_k_persons(
            raw in prop::collection::vec(
                prop::collection::vec((0u8..2, 0u32..3, 0u32..4, 0i32..800, 0i32..400), 1..4),
                0..60,
            ),
            k in 2usize..6,
        ) {
            let people: Vec<Vec<Quasi>> = raw
                .iter()
                .map(|rows| {
                    rows.iter()
                        .map(|&(f, c, county, s, len)| q(f, 350000 + c * 100, 350000 + c * 100 + county, 19_000 + s, 19_000 + s + len))
                        .collect()
                })
                .collect();
            let l = levels(&people, k);
            let mut sizes: HashMap<Combination, usize> = HashMap::new();
            for (rows, l) in people.iter().zip(&l) {
                if let Some(l) = l {
                    *sizes.entry(combination(rows, *l)).or_default() += 1;
                }
            }
            for n in sizes.values() {
                prop_assert!(*n >= k, "a class of {} persons", n);
            }
            // Persons are left out only as a group of one shape smaller than k.
            let mut out: HashMap<Combination, usize> = HashMap::new();
            for (rows, l) in people.iter().zip(&l) {
                if l.is_none() {
                    *out.entry(combination(rows, Level::Suppressed)).or_default() += 1;
                }
            }
            prop_assert!(out.values().all(|&n| n < k), "{:?}", out.values());
        }
    }
}
