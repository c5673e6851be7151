-- A bet may belong to an account; every bet placed so far is anonymous (no account), and is
-- never paid to a wallet. Never edit a migration once applied anywhere; add a new one.

-- New columns without a default: a change of the catalogue only, however many bets there are.
ALTER TABLE bets ADD COLUMN account_id uuid, ADD COLUMN paid_at timestamptz;
-- Both constraints hold for every bet written from now on. They are not checked against the
-- bets already stored (NOT VALID), which would read every bet under the migration's lock:
-- those bets all have neither an account nor a payment, which both constraints allow.
ALTER TABLE bets ADD CONSTRAINT bets_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID;
ALTER TABLE bets ADD CONSTRAINT bets_paid_only_with_an_account
    CHECK (paid_at IS NULL OR account_id IS NOT NULL) NOT VALID;
