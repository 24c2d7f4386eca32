-- Periodic jobs (retention, the session sweep, event pruning) run once per
-- cluster: each run is recorded, and a replica skips a job that another
-- ran within its interval.
CREATE TABLE job_runs (
    id            UUID PRIMARY KEY,
    job           TEXT NOT NULL CHECK (job IN ('retention', 'session_sweep', 'event_pruning')),
    runner        TEXT NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ NOT NULL,
    rows_affected BIGINT NOT NULL
);
CREATE INDEX job_runs_job ON job_runs (job, finished_at DESC);
