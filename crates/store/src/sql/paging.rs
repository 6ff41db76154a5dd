//! The one way a listing statement is run and cut into pages (`Marker`/`MaxItems`).

use sqlx::AnyPool;
use sqlx::any::AnyRow;

use super::get;
use crate::{ListQuery, Page, StoreError};

/// Runs `sql`, a listing statement ordered by the lower-cased name it returns as `name_lower`,
/// whose parameters are `$1` the length of the path prefix in characters, `$2` the path prefix,
/// `$3` the marker (the lower-cased name the page starts at; `''` for the first page) and `$4`
/// the limit. It fetches one row more than the page holds: that row, when there is one, names
/// the next page ([`Page::from_rows`]).
pub(crate) async fn list_page<T>(
    pool: &AnyPool,
    operation: &'static str,
    sql: &'static str,
    query: &ListQuery,
    item: impl Fn(&AnyRow) -> Result<T, StoreError>,
) -> Result<Page<T>, StoreError> {
    let prefix_len = i64::try_from(query.path_prefix.chars().count()).unwrap_or(i64::MAX);
    let limit = i64::try_from(query.max_items.saturating_add(1)).unwrap_or(i64::MAX);
    let rows = sqlx::query(sql)
        .bind(prefix_len)
        .bind(query.path_prefix.as_str())
        .bind(query.marker.as_deref().unwrap_or(""))
        .bind(limit)
        .fetch_all(pool)
        .await
        .map_err(|error| StoreError::db(operation, error))?;
    Page::from_rows(rows.iter(), query.max_items, item, |_, next| {
        get::<String>(next, "name_lower")
    })
}
