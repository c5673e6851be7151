-- Runs once, on the first start of an empty data volume: one role and one database per
-- service, each role owning only its own database. No one else may connect to it (PUBLIC's
-- default CONNECT and TEMPORARY are revoked), so bet-maker's role cannot read line-provider's
-- tables, nor the other way round. The passwords are compose's development ones: set your
-- own (docs/operations.md, "Least privilege").
CREATE ROLE line_provider LOGIN PASSWORD 'line_provider';
CREATE ROLE bet_maker LOGIN PASSWORD 'bet_maker';
CREATE DATABASE line_provider OWNER line_provider;
CREATE DATABASE bet_maker OWNER bet_maker;
REVOKE ALL ON DATABASE line_provider FROM PUBLIC;
REVOKE ALL ON DATABASE bet_maker FROM PUBLIC;
