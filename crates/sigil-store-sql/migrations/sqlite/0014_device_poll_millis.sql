-- The device flow's last poll is kept to the millisecond: with a one-second polling interval,
-- whole seconds could not tell a poll 10 ms after the last one from a poll a second later.

ALTER TABLE device_authorizations RENAME COLUMN last_polled_at TO last_polled_ms;
UPDATE device_authorizations SET last_polled_ms = last_polled_ms * 1000 WHERE last_polled_ms IS NOT NULL;
