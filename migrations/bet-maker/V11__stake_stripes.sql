-- Stakes add to 64 stripes of the totals of their own (32–95), chosen by connection: with 16,
-- a pool of 64 connections queued four deep on each stripe's row lock, held through the
-- commit. Deposits and withdrawals keep their account's stripe (0–15), payouts theirs
-- (16–31); GET /ledger sums every row. Never edit a migration once applied anywhere; add a
-- new one.
ALTER TABLE ledger_totals DROP CONSTRAINT ledger_totals_stripe_range;
ALTER TABLE ledger_totals ADD CONSTRAINT ledger_totals_stripe_range CHECK (stripe BETWEEN 0 AND 95);
INSERT INTO ledger_totals (stripe) SELECT generate_series(32, 95);
