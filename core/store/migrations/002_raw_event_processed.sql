-- A webhook event is processed once, even when its sender repeats it after the queue has
-- forgotten the job: the intake checks this mark before enqueueing a repeat.
ALTER TABLE raw_events ADD COLUMN processed_at timestamptz;
