-- Attempts at a job: which attempt its worker reported last (1 for the first run; a redelivery after a worker died
-- or lost its connection is the next), or on a job failed after its last attempt, the attempts made. Null until a
-- worker has reported one (and for jobs stored before this column).
ALTER TABLE generated_images ADD COLUMN attempts integer;
