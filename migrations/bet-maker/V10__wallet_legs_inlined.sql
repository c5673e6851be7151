-- wallet_legs() as a table function: Postgres inlines a SQL function in FROM only when it
-- returns a set, so each payout computes the legs in its own plan rather than calling the
-- function twice per bet. The same legs as before. Never edit a migration once applied
-- anywhere; add a new one.
DROP FUNCTION wallet_legs(text, numeric, numeric);
CREATE FUNCTION wallet_legs(result text, amount numeric, coefficient numeric)
RETURNS TABLE (available numeric, held numeric, book numeric)
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE result WHEN 'finished_win' THEN trunc(amount * coefficient, 2)
                       WHEN 'cancelled' THEN amount ELSE 0 END,
           CASE WHEN result IS NULL THEN 0 ELSE -amount END,
           CASE result WHEN 'finished_win' THEN amount - trunc(amount * coefficient, 2)
                       WHEN 'finished_lose' THEN amount ELSE 0 END
$$;
