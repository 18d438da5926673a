-- What the text encoder's token limit cut off the prompts, from the job's RUNNING event
-- (see docs/gateway-api.md, "prompt_truncation"); NULL when both prompts fitted or the job has not started.
ALTER TABLE generated_images ADD COLUMN prompt_truncation jsonb;
