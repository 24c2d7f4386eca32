//! Periodic jobs' cluster-wide locks and their recorded runs. The SQL both backends run, stamped out per backend by
//! `sql::impl_store!`.

macro_rules! impl_jobs {
    ($store:ty, $db:ty, $backend:literal, $migrator:expr, $claim_lock:literal, $row_lock:literal, $job_lock:ident, $size_sql:literal) => {
        #[async_trait::async_trait]
        impl $crate::store::JobStore for $store {
            async fn try_lock_job(
                &self,
                job: pharos_domain::job::Job,
            ) -> $crate::error::StoreResult<Option<$crate::models::JobLock>> {
                self.$job_lock(job).await
            }

            async fn last_job_run(
                &self,
                job: pharos_domain::job::Job,
            ) -> $crate::error::StoreResult<Option<$crate::models::JobRun>> {
                let row: Option<(String, chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>, i64)> =
                    sqlx::query_as(
                        "SELECT runner, started_at, finished_at, rows_affected FROM job_runs \
                         WHERE job = $1 ORDER BY finished_at DESC LIMIT 1",
                    )
                    .bind(job.as_str())
                    .fetch_optional(self.writer())
                    .await?;
                Ok(row.map(|(runner, started_at, finished_at, rows)| $crate::models::JobRun {
                    job,
                    runner,
                    started_at,
                    finished_at,
                    rows_affected: u64::try_from(rows).unwrap_or(0),
                }))
            }

            async fn record_job_run(
                &self,
                run: &$crate::models::JobRun,
            ) -> $crate::error::StoreResult<()> {
                let mut tx = self.writer().begin().await?;
                sqlx::query(
                    "INSERT INTO job_runs (id, job, runner, started_at, finished_at, rows_affected) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(uuid::Uuid::now_v7())
                .bind(run.job.as_str())
                .bind(&run.runner)
                .bind($crate::rows::to_micros(run.started_at))
                .bind($crate::rows::to_micros(run.finished_at))
                .bind(i64::try_from(run.rows_affected).unwrap_or(i64::MAX))
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM job_runs WHERE job = $1 AND finished_at < $2")
                    .bind(run.job.as_str())
                    .bind($crate::rows::to_micros(run.finished_at - chrono::Duration::days(7)))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }
        }
    };
}

pub(crate) use impl_jobs;
