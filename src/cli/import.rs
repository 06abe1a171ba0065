//! `colead import --org <slug> leaders.csv`: the HRIS feed from a file, for operators.
//!
//! The CSV has the columns of `LeaderRecordInput` (`externalId`, `name`, `email`,
//! `title`, `department`, `managerExternalId`, `active`). The whole file is read and
//! checked for shape first, so a malformed file writes nothing. Records are then sent
//! managers first, in calls of at most `MAX_RECORDS`, so that a manager is always in the
//! same call as their reports or an earlier one; leaders missing from the whole file are
//! deactivated once, with the last call.

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::Read;

use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::domain::people::import::{self, MAX_RECORDS, Missing, Outcome, Record, RowStatus};
use crate::error::{Error, Result};

/// The columns a file may have; `externalId` and `name` are required.
const COLUMNS: [&str; 7] = [
    "externalId",
    "name",
    "email",
    "title",
    "department",
    "managerExternalId",
    "active",
];

/// A record and the line of the file it starts on.
#[derive(Debug)]
pub struct Line {
    pub line: u64,
    pub record: Record,
}

/// What a failed record said, by line.
#[derive(Debug)]
pub struct Failure {
    pub line: u64,
    pub external_id: String,
    pub reasons: Vec<String>,
}

/// Totals over every call, and the failed records.
#[derive(Debug, Default)]
pub struct Summary {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub deactivated: usize,
    pub failed: Vec<Failure>,
}

fn shape_error(message: String) -> Error {
    Error::BadUserInput(message)
}

fn parse_active(line: u64, value: &str) -> Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "" | "true" | "1" | "yes" | "y" => Ok(true),
        "false" | "0" | "no" | "n" => Ok(false),
        other => Err(shape_error(format!(
            "line {line}: `active` is `{other}`; use true or false"
        ))),
    }
}

/// Reads every record of a CSV file, or says which line or column is wrong.
pub fn read_csv(input: impl Read) -> Result<Vec<Line>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| shape_error(format!("the header line cannot be read: {e}")))?
        .clone();
    let mut at: HashMap<&str, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        let Some(known) = COLUMNS.iter().find(|c| c.eq_ignore_ascii_case(h)) else {
            return Err(shape_error(format!(
                "unknown column `{h}`; the columns are {}",
                COLUMNS.join(", ")
            )));
        };
        if at.insert(known, i).is_some() {
            return Err(shape_error(format!("column `{known}` appears twice")));
        }
    }
    for required in ["externalId", "name"] {
        if !at.contains_key(required) {
            return Err(shape_error(format!("the file has no `{required}` column")));
        }
    }
    let mut out = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|e| shape_error(format!("the file cannot be read: {e}")))?;
        let line = row.position().map_or(0, |p| p.line());
        let get = |c: &str| at.get(c).and_then(|&i| row.get(i)).unwrap_or("");
        let text = |c: &str| Some(get(c).to_owned()).filter(|v| !v.is_empty());
        out.push(Line {
            line,
            record: Record {
                external_id: get("externalId").to_owned(),
                name: get("name").to_owned(),
                email: text("email"),
                title: text("title"),
                department: text("department"),
                manager_external_id: text("managerExternalId"),
                active: parse_active(line, get("active"))?,
            },
        });
    }
    Ok(out)
}

/// Orders lines managers first (breadth first from the top of each hierarchy). Lines in
/// a reporting loop come last, together, where the import refuses them.
pub fn managers_first(lines: Vec<Line>) -> Vec<Line> {
    let index: HashMap<&str, usize> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| (l.record.external_id.as_str(), i))
        .collect();
    let mut reports: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut queue: VecDeque<usize> = VecDeque::new();
    for (i, l) in lines.iter().enumerate() {
        match l
            .record
            .manager_external_id
            .as_deref()
            .and_then(|m| index.get(m))
        {
            Some(&m) if m != i => reports.entry(m).or_default().push(i),
            _ => queue.push_back(i),
        }
    }
    let mut order = Vec::with_capacity(lines.len());
    let mut placed = vec![false; lines.len()];
    while let Some(i) = queue.pop_front() {
        if std::mem::replace(&mut placed[i], true) {
            continue;
        }
        order.push(i);
        queue.extend(reports.remove(&i).unwrap_or_default());
    }
    order.extend((0..lines.len()).filter(|&i| !placed[i]));
    let mut slots: Vec<Option<Line>> = lines.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// Imports `lines` into organization `org` in calls of at most `batch` records, calling
/// `progress` with the records done after each call.
pub async fn import_lines(
    db: &DatabaseConnection,
    org: Uuid,
    lines: Vec<Line>,
    batch: usize,
    deactivate_missing: bool,
    progress: impl Fn(usize),
) -> Result<Summary> {
    let batch = batch.clamp(1, MAX_RECORDS);
    let all: HashSet<String> = lines
        .iter()
        .map(|l| l.record.external_id.trim().to_owned())
        .collect();
    let lines = managers_first(lines);
    let calls = lines.len().div_ceil(batch).max(1);
    let mut summary = Summary::default();
    let mut done = 0;
    let mut rest = lines.into_iter();
    for call in 0..calls {
        let chunk: Vec<Line> = rest.by_ref().take(batch).collect();
        let numbers: Vec<u64> = chunk.iter().map(|l| l.line).collect();
        let records: Vec<Record> = chunk.into_iter().map(|l| l.record).collect();
        let missing = if deactivate_missing && call + 1 == calls {
            Missing::AbsentFrom(&all)
        } else {
            Missing::Keep
        };
        let n = records.len();
        let outcome = import::import_into(db, org, records, missing).await?;
        add(&mut summary, outcome, &numbers);
        done += n;
        progress(done);
    }
    Ok(summary)
}

fn add(summary: &mut Summary, o: Outcome, lines: &[u64]) {
    summary.created += o.created;
    summary.updated += o.updated;
    summary.unchanged += o.unchanged;
    summary.deactivated += o.deactivated;
    for row in o.rows.into_iter().filter(|r| r.status == RowStatus::Failed) {
        summary.failed.push(Failure {
            line: lines.get(row.index).copied().unwrap_or(0),
            external_id: row.external_id,
            reasons: row
                .errors
                .iter()
                .map(|e| {
                    let field = e.field.as_ref().and_then(|f| f.last());
                    format!("{}: {}", field.map_or("record", |f| f.as_str()), e.message)
                })
                .collect(),
        });
    }
    summary.failed.sort_by_key(|f| f.line);
}

/// The `import` command: reads the file, imports it with a progress bar on a terminal,
/// prints the totals and each failed record; fails when any record failed.
pub async fn run(
    db: &DatabaseConnection,
    slug: &str,
    file: &std::path::Path,
    batch: usize,
    deactivate_missing: bool,
) -> Result<()> {
    use crate::error::Context;
    let org = crate::tenancy::organization_by_slug(db, slug.trim())
        .await?
        .ok_or(Error::NotFound("organization"))?;
    let opened = std::fs::File::open(file).context(format!("opening {}", file.display()))?;
    let lines = read_csv(std::io::BufReader::new(opened))?;
    let total = lines.len();
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:40} {pos}/{len} records ({elapsed}, {eta} left)",
    ) {
        bar.set_style(style);
    }
    let summary = import_lines(db, org.id, lines, batch, deactivate_missing, |done| {
        bar.set_position(done as u64)
    })
    .await?;
    bar.finish_and_clear();
    crate::domain::audit::record_operator(db, org.id, "importLeaders (colead import)").await?;
    println!(
        "{total} records: {} created, {} updated, {} unchanged, {} deactivated, {} failed",
        summary.created,
        summary.updated,
        summary.unchanged,
        summary.deactivated,
        summary.failed.len()
    );
    for f in &summary.failed {
        println!(
            "line {} ({}): {}",
            f.line,
            f.external_id,
            f.reasons.join("; ")
        );
    }
    if summary.failed.is_empty() {
        Ok(())
    } else {
        Err(Error::BadUserInput(format!(
            "{} of {total} records failed; the others were imported",
            summary.failed.len()
        )))
    }
}
