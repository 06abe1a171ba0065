//! The generated organization chart: a breadth-first hierarchy with spans of 3 to 12,
//! departments inherited from the heads below the top, locations, and teams that cut
//! across departments.

use chrono::{NaiveDate, Utc};
use entity::enums::LeaderStatus;
use entity::{leader, team, team_member};
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use sea_orm::ActiveValue::Set;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::db::Batch;
use crate::error::Result;

const FIRST: &[&str] = &[
    "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "John",
    "Radia", "Tim", "Karen", "Niklaus", "Shafi", "Leslie", "Hedy", "Claude", "Sophie", "Vint",
    "Adele", "Dennis", "Mary", "Linus", "Joan", "Guido", "Anita", "Bjarne",
];
const LAST: &[&str] = &[
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "Thompson",
    "Hamilton",
    "Backus",
    "Perlman",
    "Berners-Lee",
    "Jones",
    "Wirth",
    "Goldwasser",
    "Lamport",
    "Lamarr",
    "Shannon",
    "Wilson",
    "Cerf",
    "Goldberg",
    "Ritchie",
    "Keller",
    "Torvalds",
    "Clarke",
    "Rossum",
    "Borg",
    "Stroustrup",
];
const DEPARTMENTS: &[&str] = &[
    "Engineering",
    "Sales",
    "Marketing",
    "Finance",
    "People",
    "Operations",
    "Product",
    "Support",
    "Legal",
    "Research",
];
const LOCATIONS: &[&str] = &[
    "Berlin",
    "Lisbon",
    "Toronto",
    "Austin",
    "Singapore",
    "Nairobi",
];

/// One generated leader, as the review generator needs it.
pub(super) struct Person {
    pub id: Uuid,
    pub manager: Option<usize>,
    pub reports: Vec<usize>,
}

pub(super) struct OrgChart {
    pub leaders: Vec<Person>,
    pub teams: usize,
}

/// Writes `n` leaders and their teams into `org`.
pub(super) async fn generate<C: ConnectionTrait>(
    db: &C,
    org: Uuid,
    n: usize,
    rng: &mut StdRng,
) -> Result<OrgChart> {
    let mut people: Vec<Person> = Vec::with_capacity(n);
    let mut department: Vec<&str> = Vec::with_capacity(n);
    let mut level: Vec<u32> = Vec::with_capacity(n);
    if n > 0 {
        people.push(Person {
            id: Uuid::now_v7(),
            manager: None,
            reports: Vec::new(),
        });
        department.push("Executive");
        level.push(0);
    }
    // Breadth first: each manager in turn takes 3 to 12 reports until all are placed.
    let mut next_manager = 0;
    while people.len() < n {
        let span = rng.random_range(3..=12).min(n - people.len());
        for _ in 0..span {
            let i = people.len();
            people.push(Person {
                id: Uuid::now_v7(),
                manager: Some(next_manager),
                reports: Vec::new(),
            });
            people[next_manager].reports.push(i);
            let dept = if next_manager == 0 {
                DEPARTMENTS[(i - 1) % DEPARTMENTS.len()]
            } else {
                department[next_manager]
            };
            department.push(dept);
            level.push(level[next_manager] + 1);
        }
        next_manager += 1;
    }
    let now = Utc::now();
    let mut batch = Batch::<leader::ActiveModel>::new(13);
    for (i, p) in people.iter().enumerate() {
        let first = FIRST.choose(rng).copied().unwrap_or("Alex");
        let last = LAST.choose(rng).copied().unwrap_or("Doe");
        let title = match (level[i], p.reports.is_empty()) {
            (0, _) => "Chief Executive",
            (1, _) => "Vice President",
            (_, false) => "Manager",
            (_, true) => "Specialist",
        };
        let start = NaiveDate::from_ymd_opt(
            2015 + (i % 10) as i32,
            1 + (i % 12) as u32,
            1 + (i % 28) as u32,
        );
        batch
            .push(
                db,
                leader::ActiveModel {
                    id: Set(p.id),
                    organization_id: Set(org),
                    name: Set(format!("{first} {last}")),
                    email: Set(Some(format!(
                        "{}.{}.{i}@demo.colead.test",
                        first.to_lowercase(),
                        last.to_lowercase()
                    ))),
                    title: Set(Some(title.to_owned())),
                    department: Set(Some(department[i].to_owned())),
                    location: Set(LOCATIONS.choose(rng).map(|l| (*l).to_owned())),
                    external_id: Set(Some(format!("E{i:06}"))),
                    manager_id: Set(p.manager.map(|m| people[m].id)),
                    start_date: Set(start),
                    status: Set(LeaderStatus::Active),
                    user_name: Set(None),
                    employee_number: Set(None),
                    created_at: Set(now),
                    updated_at: Set(now),
                },
            )
            .await?;
    }
    batch.flush(db).await?;
    let teams = write_teams(db, org, &people, rng).await?;
    Ok(OrgChart {
        leaders: people,
        teams,
    })
}

/// About one team per 25 leaders, each of 8 to 15 members drawn from anywhere.
async fn write_teams<C: ConnectionTrait>(
    db: &C,
    org: Uuid,
    people: &[Person],
    rng: &mut StdRng,
) -> Result<usize> {
    let count = people.len() / 25;
    let now = Utc::now();
    let mut teams = Batch::<team::ActiveModel>::new(6);
    let ids: Vec<Uuid> = (0..count).map(|_| Uuid::now_v7()).collect();
    for (t, id) in ids.iter().enumerate() {
        teams
            .push(
                db,
                team::ActiveModel {
                    id: Set(*id),
                    organization_id: Set(org),
                    name: Set(format!("Guild {}", t + 1)),
                    description: Set(Some("A cross-functional network.".to_owned())),
                    created_at: Set(now),
                    updated_at: Set(now),
                },
            )
            .await?;
    }
    teams.flush(db).await?;
    let mut members = Batch::<team_member::ActiveModel>::new(4);
    for id in ids {
        let size = rng.random_range(8..=15).min(people.len());
        for p in rand::seq::index::sample(rng, people.len(), size) {
            members
                .push(
                    db,
                    team_member::ActiveModel {
                        organization_id: Set(org),
                        team_id: Set(id),
                        leader_id: Set(people[p].id),
                        added_at: Set(now),
                    },
                )
                .await?;
        }
    }
    members.flush(db).await?;
    Ok(count)
}
