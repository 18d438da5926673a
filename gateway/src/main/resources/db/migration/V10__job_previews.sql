-- Whether the client asked for live previews: kept with the job so the record shows it and a republished job
-- (outbox relay) still asks the generator for them. Older rows asked for none.
ALTER TABLE generated_images ADD COLUMN previews boolean NOT NULL DEFAULT false;
