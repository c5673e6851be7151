//! The table of figures: each next to its baseline and its goal; printed as Markdown and
//! written as JSON.

use serde::Serialize;
use serde_json::Value;

/// What a figure is aimed at.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Goal {
    /// The ratio to the baseline is at least this.
    RatioAtLeast(f64),
    /// The ratio to the baseline is at most this.
    RatioAtMost(f64),
    /// The measured value (in the row's unit) is below this.
    Below(f64),
    /// The measured value (in the row's unit) is at least this.
    AtLeast(f64),
}

/// One line of the table.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub figure: String,
    pub measured: f64,
    pub unit: &'static str,
    pub baseline: Option<Baseline>,
    pub goal: Option<Goal>,
    pub met: Option<bool>,
    /// Every number behind the row.
    pub details: Value,
}

/// What a figure is compared with.
#[derive(Debug, Clone, Serialize)]
pub struct Baseline {
    pub name: String,
    pub value: f64,
    /// measured / baseline.
    pub ratio: f64,
}

impl Row {
    pub fn new(figure: impl Into<String>, measured: f64, unit: &'static str) -> Self {
        Self {
            figure: figure.into(),
            measured,
            unit,
            baseline: None,
            goal: None,
            met: None,
            details: Value::Null,
        }
    }

    pub fn baseline(mut self, name: impl Into<String>, value: f64) -> Self {
        self.baseline = Some(Baseline {
            name: name.into(),
            value,
            ratio: if value == 0.0 {
                f64::NAN
            } else {
                self.measured / value
            },
        });
        self.judge()
    }

    pub fn goal(mut self, goal: Goal) -> Self {
        self.goal = Some(goal);
        self.judge()
    }

    pub fn details(mut self, details: impl Serialize) -> Self {
        self.details = serde_json::to_value(details).unwrap_or(Value::Null);
        self
    }

    fn judge(mut self) -> Self {
        let ratio = self.baseline.as_ref().map(|b| b.ratio);
        self.met = match (self.goal, ratio) {
            (Some(Goal::RatioAtLeast(at_least)), Some(ratio)) => Some(ratio >= at_least),
            (Some(Goal::RatioAtMost(at_most)), Some(ratio)) => Some(ratio <= at_most),
            (Some(Goal::Below(below)), _) => Some(self.measured < below),
            (Some(Goal::AtLeast(at_least)), _) => Some(self.measured >= at_least),
            _ => None,
        };
        self
    }

    fn goal_text(&self) -> String {
        match self.goal {
            None => String::new(),
            Some(Goal::RatioAtLeast(x)) => format!("≥ {x}×"),
            Some(Goal::RatioAtMost(x)) => format!("≤ {x}×"),
            Some(Goal::Below(x)) => format!("< {} {}", number(x), self.unit),
            Some(Goal::AtLeast(x)) => format!("≥ {} {}", number(x), self.unit),
        }
    }

    /// How far the figure is from its goal: the measured share of it.
    fn verdict(&self) -> String {
        let ratio = self.baseline.as_ref().map(|b| b.ratio);
        let (met, share) = match (self.goal, ratio, self.met) {
            (Some(Goal::RatioAtLeast(x)), Some(ratio), Some(met)) => (met, ratio / x),
            (Some(Goal::RatioAtMost(x)), Some(ratio), Some(met)) => (met, ratio / x),
            (Some(Goal::Below(x)), _, Some(met)) => (met, self.measured / x),
            (Some(Goal::AtLeast(x)), _, Some(met)) => (met, self.measured / x),
            _ => return String::new(),
        };
        format!(
            "{} ({:.0} % of goal)",
            if met { "met" } else { "MISSED" },
            share * 100.0
        )
    }
}

/// A number with as many decimals as it needs to be read.
pub fn number(value: f64) -> String {
    if value.is_nan() {
        "n/a".to_owned()
    } else if value.abs() >= 100.0 {
        format!("{value:.0}")
    } else if value.abs() >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

/// The table as Markdown.
pub fn markdown(rows: &[Row]) -> String {
    let mut out = String::from(
        "| Figure | Measured | Baseline (same run) | Ratio | Goal | Verdict |\n|---|---:|---|---:|---|---|\n",
    );
    for row in rows {
        let (baseline, ratio) = match &row.baseline {
            Some(b) => (
                format!("{}: {} {}", b.name, number(b.value), row.unit),
                format!("{:.2}", b.ratio),
            ),
            None => (String::new(), String::new()),
        };
        out.push_str(&format!(
            "| {} | {} {} | {} | {} | {} | {} |\n",
            row.figure,
            number(row.measured),
            row.unit,
            baseline,
            ratio,
            row.goal_text(),
            row.verdict()
        ));
    }
    out
}
