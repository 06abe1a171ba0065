//! SCIM provisioning: a leader's `userName` at the identity provider and the enterprise
//! extension's `employeeNumber`, both optional and kept apart from the HRIS `external_id`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::schema_helpers::idx;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Leaders {
    Table,
    UserName,
    EmployeeNumber,
}

const USER_NAME_INDEX: &str = "ux_leaders_org_user_name";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Leaders::Table)
                    .add_column(string_len_null(Leaders::UserName, 254))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Leaders::Table)
                    .add_column(string_len_null(Leaders::EmployeeNumber, 200))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(idx(
                USER_NAME_INDEX,
                Leaders::Table,
                &["organization_id", "user_name"],
                true,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(USER_NAME_INDEX)
                    .table(Leaders::Table)
                    .to_owned(),
            )
            .await?;
        for column in [Leaders::EmployeeNumber, Leaders::UserName] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Leaders::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
