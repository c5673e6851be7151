-- Runs once, on the first start of an empty data volume: one database per service.
-- (Each service would create its own if missing; creating them here keeps the ownership
-- explicit and the services' start-up quicker.)
CREATE DATABASE line_provider;
CREATE DATABASE bet_maker;
