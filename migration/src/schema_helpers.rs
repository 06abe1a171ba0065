//! Small builders shared by the migrations: cascading foreign keys and indexes by name.

use sea_orm_migration::prelude::*;

/// A foreign key `from` → `to` that cascades deletes.
pub(crate) fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .take()
}

/// An index on `cols` of `table`, unique or not.
pub(crate) fn idx(
    name: &str,
    table: impl IntoIden,
    cols: &[&str],
    unique: bool,
) -> IndexCreateStatement {
    let mut i = Index::create().name(name).table(table).take();
    for c in cols {
        i.col(Alias::new(*c));
    }
    if unique {
        i.unique();
    }
    i
}
