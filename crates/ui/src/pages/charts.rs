//! Event counts over time as server-rendered SVG: the sparklines of lists
//! and the bar charts of the issue page. Only numbers computed here reach
//! the SVG, so no event data is involved.

use std::fmt::Write;

use chrono::{DateTime, Duration, DurationRound, Utc};
use serde::Serialize;

/// The period a sparkline covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Period {
    /// 24 hourly bars.
    Day,
    /// 14 daily bars.
    TwoWeeks,
}

impl Period {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "24h" => Some(Self::Day),
            "14d" => Some(Self::TwoWeeks),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Day => "24h",
            Self::TwoWeeks => "14d",
        }
    }

    /// (number of bars, hours per bar)
    pub fn shape(&self) -> (usize, i64) {
        match self {
            Self::Day => (24, 1),
            Self::TwoWeeks => (14, 24),
        }
    }

    /// The first hour the period covers.
    pub fn since(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let (n, h) = self.shape();
        current_hour(now) + Duration::hours(1) - Duration::hours(n as i64 * h)
    }
}

fn current_hour(now: DateTime<Utc>) -> DateTime<Utc> {
    now.duration_trunc(Duration::hours(1)).unwrap_or(now)
}

/// Sums hourly counts into `buckets` buckets of `hours` hours each, oldest
/// first, the last one ending with the current hour.
pub(crate) fn bucket_counts(
    hourly: &[(DateTime<Utc>, i64)],
    now: DateTime<Utc>,
    buckets: usize,
    hours: i64,
) -> Vec<i64> {
    let end = current_hour(now) + Duration::hours(1);
    let mut out = vec![0; buckets];
    for (hour, count) in hourly {
        let back = (end - *hour).num_hours() - 1; // 0 = the current hour
        if back < 0 {
            continue;
        }
        let idx = back / hours;
        if (idx as usize) < buckets {
            out[buckets - 1 - idx as usize] += count;
        }
    }
    out
}

/// A tiny bar chart: one SVG path, drawn in a `width` × `height` box.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Sparkline {
    pub path: String,
    pub width: u32,
    pub height: u32,
    pub total: i64,
}

/// Bar width and gap of a sparkline bar, in SVG units.
const SPARK_BAR: u32 = 4;
const SPARK_GAP: u32 = 1;
const SPARK_HEIGHT: u32 = 24;

pub(crate) fn sparkline(counts: &[i64]) -> Sparkline {
    let max = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let h = SPARK_HEIGHT as f64;
    let mut path = String::new();
    for (i, &c) in counts.iter().enumerate() {
        if c <= 0 {
            continue;
        }
        let bar = (c as f64 / max * h).max(1.5);
        let x = i as u32 * (SPARK_BAR + SPARK_GAP);
        let _ = write!(path, "M{x} {:.1}h{SPARK_BAR}V{h}h-{SPARK_BAR}z", h - bar);
    }
    Sparkline {
        path,
        width: counts.len() as u32 * (SPARK_BAR + SPARK_GAP),
        height: SPARK_HEIGHT,
        total: counts.iter().sum(),
    }
}

/// One bar of a [`BarChart`].
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Bar {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub count: i64,
    /// What the bar covers, for its tooltip.
    pub label: String,
}

/// Events per bucket with axis labels, for the issue page.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct BarChart {
    pub title: String,
    pub bars: Vec<Bar>,
    pub width: u32,
    pub height: u32,
    pub max: i64,
    pub total: i64,
    pub start: String,
    pub end: String,
}

const CHART_WIDTH: u32 = 480;
const CHART_HEIGHT: u32 = 80;

pub(crate) fn bar_chart(
    title: &str,
    hourly: &[(DateTime<Utc>, i64)],
    now: DateTime<Utc>,
    buckets: usize,
    hours: i64,
) -> BarChart {
    let counts = bucket_counts(hourly, now, buckets, hours);
    let max = counts.iter().copied().max().unwrap_or(0);
    let slot = CHART_WIDTH as f64 / buckets as f64;
    let first = current_hour(now) + Duration::hours(1) - Duration::hours(buckets as i64 * hours);
    let fmt = if hours >= 24 { "%b %d" } else { "%H:00" };
    let bars = counts
        .iter()
        .enumerate()
        .map(|(i, &count)| {
            let start = first + Duration::hours(i as i64 * hours);
            let h = if count > 0 {
                (count as f64 / max.max(1) as f64 * CHART_HEIGHT as f64).max(2.0)
            } else {
                0.0
            };
            // Day buckets are 24 hours ending at the current hour, not
            // calendar days: their tooltip gives the span, dates and hours.
            let label = if hours >= 24 {
                format!(
                    "{}–{} UTC",
                    start.format("%Y-%m-%d %H:00"),
                    (start + Duration::hours(hours)).format("%Y-%m-%d %H:00")
                )
            } else {
                format!(
                    "{}–{} UTC",
                    start.format("%Y-%m-%d %H:00"),
                    (start + Duration::hours(hours)).format("%H:00")
                )
            };
            Bar {
                x: round1(i as f64 * slot),
                y: round1(CHART_HEIGHT as f64 - h),
                w: round1((slot * 0.8).max(1.0)),
                h: round1(h),
                count,
                label,
            }
        })
        .collect();
    BarChart {
        title: title.to_string(),
        bars,
        width: CHART_WIDTH,
        height: CHART_HEIGHT,
        max,
        total: counts.iter().sum(),
        start: first.format(fmt).to_string(),
        end: "now".to_string(),
    }
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn hours_land_in_their_buckets() {
        let now = Utc.with_ymd_and_hms(2026, 5, 10, 12, 30, 0).unwrap();
        let hour = |h: i64| current_hour(now) - Duration::hours(h);
        let hourly = vec![
            (hour(30), 100), // outside 24 h
            (hour(23), 1),
            (hour(1), 2),
            (hour(0), 3),
        ];
        let counts = bucket_counts(&hourly, now, 24, 1);
        assert_eq!(counts.len(), 24);
        assert_eq!((counts[0], counts[22], counts[23]), (1, 2, 3));
        assert_eq!(counts.iter().sum::<i64>(), 6);
        let days = bucket_counts(&hourly, now, 14, 24);
        assert_eq!(days[13], 6);
        assert_eq!(days[12], 100);
        assert_eq!(Period::Day.since(now), hour(23));
    }

    #[test]
    fn sparkline_paths_are_numbers_only() {
        let s = sparkline(&[0, 1, 4]);
        assert_eq!(s.total, 5);
        assert_eq!(s.width, 15);
        assert!(s.path.starts_with("M5 "), "{}", s.path);
        assert!(s
            .path
            .chars()
            .all(|c| c.is_ascii_digit() || " .MhVz-".contains(c)));
        assert_eq!(sparkline(&[0, 0]).path, "");
    }

    #[test]
    fn charts_scale_to_the_largest_bar() {
        let now = Utc::now();
        let c = bar_chart(
            "24 h",
            &[
                (current_hour(now), 10),
                (current_hour(now) - Duration::hours(2), 5),
            ],
            now,
            24,
            1,
        );
        assert_eq!(c.max, 10);
        assert_eq!(c.total, 15);
        assert_eq!(c.bars[23].h, CHART_HEIGHT as f64);
        assert_eq!(c.bars[21].h, CHART_HEIGHT as f64 / 2.0);
        assert_eq!(c.bars[0].h, 0.0);
    }

    #[test]
    fn day_bars_are_labelled_with_the_span_they_cover() {
        let now = Utc.with_ymd_and_hms(2026, 12, 2, 9, 40, 0).unwrap();
        let c = bar_chart("30 days", &[(current_hour(now), 2)], now, 30, 24);
        let last = c.bars.last().unwrap();
        assert_eq!(last.count, 2);
        assert_eq!(last.label, "2026-12-01 10:00–2026-12-02 10:00 UTC");
        let hours = bar_chart("24 h", &[], now, 24, 1);
        assert_eq!(
            hours.bars.last().unwrap().label,
            "2026-12-02 09:00–10:00 UTC"
        );
    }
}
